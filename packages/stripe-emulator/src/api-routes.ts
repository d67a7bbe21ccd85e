import type { CreateRefundInput, EmulatorStore } from './emulator-store';
import {
  metadataParam,
  nestedParams,
  optionalAmount,
  optionalBoolean,
  optionalEnum,
  optionalString,
  requiredAmount,
  requiredCurrency,
  requiredString,
  type FormParams,
} from './form-params';
import { listPage } from './list-page';
import { REFUND_REASONS } from './refund-vocabulary';
import { Router, type PathParams } from './router';
import { parameterInvalid } from './stripe-api-error';
import type { CaptureMethod, PaymentIntent, Refund, StripeEvent } from './stripe-emulator.types';

export interface ApiRequest {
  params: FormParams;
  path: PathParams;
}

export interface ApiResponse {
  status: number;
  body: object;
}

/** Handlers are synchronous on purpose: each call is then atomic against concurrent requests. */
export type ApiHandler = (request: ApiRequest) => ApiResponse;

const CAPTURE_METHODS: readonly CaptureMethod[] = ['automatic', 'automatic_async', 'manual'];
const CANCELLATION_REASONS = ['duplicate', 'fraudulent', 'requested_by_customer', 'abandoned'] as const;

function ok(body: object): ApiResponse {
  return { status: 200, body };
}

/** A list filter: the field equals the parameter, when the parameter is given. */
function paramEquals<T>(params: FormParams, name: string, field: (item: T) => string | null) {
  const wanted = optionalString(params, name);
  return (item: T): boolean => wanted === null || field(item) === wanted;
}

/** The events list's `type`, which may end in a wildcard, e.g. `charge.*`. */
function eventTypeIs(params: FormParams) {
  const type = optionalString(params, 'type');
  if (type?.endsWith('*')) return (event: StripeEvent): boolean => event.type.startsWith(type.slice(0, -1));
  return (event: StripeEvent): boolean => type === null || event.type === type;
}

const METADATA_CLAUSE = /^metadata\[['"]([^'"\]]+)['"]\]:['"]([^'"]*)['"]$/;

/**
 * Stripe's search query language, as far as the service uses it: `metadata['key']:'value'`
 * clauses joined by AND. (Real search is eventually consistent; this one is immediate.)
 */
function searchByMetadata(
  url: string,
  items: readonly { created: number; metadata: Record<string, string> }[],
  params: FormParams,
): ApiResponse {
  const query = optionalString(params, 'query') ?? '';
  const clauses = query.split(/\s+AND\s+/i).map((clause) => METADATA_CLAUSE.exec(clause.trim()));
  if (!query || clauses.some((clause) => clause === null)) {
    throw parameterInvalid('query', "Only metadata['key']:'value' clauses joined by AND are supported.");
  }
  const data = items.filter((item) =>
    clauses.every((clause) => clause && item.metadata[clause[1]] === clause[2]),
  );
  return ok({ object: 'search_result', data, has_more: false, next_page: null, url });
}

/** The parameters of `POST /v1/refunds`, checked as Stripe checks them; Dashboard refunds pass here too. */
export function refundInput(params: FormParams): CreateRefundInput {
  return {
    paymentIntent: optionalString(params, 'payment_intent'),
    charge: optionalString(params, 'charge'),
    amount: optionalAmount(params, 'amount'),
    reason: optionalEnum(params, 'reason', REFUND_REASONS),
    metadata: metadataParam(params),
  };
}

function automaticPaymentMethods(params: FormParams): boolean | null {
  const nested = nestedParams(params, 'automatic_payment_methods');
  return nested === null ? null : (optionalBoolean(nested, 'enabled') ?? false);
}

/** The `/v1` surface: unknown parameters are ignored, as Stripe's older API versions tolerate. */
export function apiRoutes(store: EmulatorStore): Router<ApiHandler> {
  return new Router<ApiHandler>()
    .on('POST', '/v1/customers', ({ params }) =>
      ok(
        store.createCustomer({
          email: optionalString(params, 'email'),
          name: optionalString(params, 'name'),
          description: optionalString(params, 'description'),
          metadata: metadataParam(params),
        }),
      ),
    )
    .on('GET', '/v1/customers/search', ({ params }) =>
      searchByMetadata('/v1/customers/search', store.listCustomers(), params),
    )
    .on('GET', '/v1/customers/:id', ({ path }) => ok(store.retrieveCustomer(path.id)))
    .on('POST', '/v1/payment_methods/:id/attach', ({ path, params }) =>
      ok(store.attachPaymentMethod(path.id, requiredString(params, 'customer'))),
    )
    .on('GET', '/v1/payment_methods/:id', ({ path }) => ok(store.retrievePaymentMethod(path.id)))
    .on('POST', '/v1/payment_intents', ({ params }) =>
      ok(
        store.createPaymentIntent({
          amount: requiredAmount(params, 'amount'),
          currency: requiredCurrency(params, 'currency'),
          paymentMethod: optionalString(params, 'payment_method'),
          confirm: optionalBoolean(params, 'confirm') ?? false,
          customer: optionalString(params, 'customer'),
          description: optionalString(params, 'description'),
          metadata: metadataParam(params),
          automaticPaymentMethods: automaticPaymentMethods(params),
          captureMethod: optionalEnum(params, 'capture_method', CAPTURE_METHODS) ?? 'automatic',
        }),
      ),
    )
    .on('GET', '/v1/payment_intents', ({ params }) =>
      ok(
        listPage('/v1/payment_intents', 'payment_intent', store.listPaymentIntents(), params, [
          paramEquals(params, 'customer', (intent: PaymentIntent) => intent.customer),
        ]),
      ),
    )
    .on('GET', '/v1/payment_intents/search', ({ params }) =>
      searchByMetadata('/v1/payment_intents/search', store.listPaymentIntents(), params),
    )
    .on('GET', '/v1/payment_intents/:id', ({ path }) => ok(store.retrievePaymentIntent(path.id)))
    .on('POST', '/v1/payment_intents/:id/confirm', ({ path, params }) =>
      ok(store.confirmPaymentIntent(path.id, optionalString(params, 'payment_method'))),
    )
    .on('POST', '/v1/payment_intents/:id/cancel', ({ path, params }) =>
      ok(
        store.cancelPaymentIntent(path.id, optionalEnum(params, 'cancellation_reason', CANCELLATION_REASONS)),
      ),
    )
    .on('POST', '/v1/payment_intents/:id/capture', ({ path, params }) =>
      ok(store.capturePaymentIntent(path.id, optionalAmount(params, 'amount_to_capture'))),
    )
    .on('POST', '/v1/refunds', ({ params }) => ok(store.createRefund(refundInput(params))))
    .on('GET', '/v1/refunds', ({ params }) =>
      ok(
        listPage('/v1/refunds', 'refund', store.listRefunds(), params, [
          paramEquals(params, 'payment_intent', (refund: Refund) => refund.payment_intent),
          paramEquals(params, 'charge', (refund: Refund) => refund.charge),
        ]),
      ),
    )
    .on('GET', '/v1/refunds/:id', ({ path }) => ok(store.retrieveRefund(path.id)))
    .on('GET', '/v1/charges/:id', ({ path }) => ok(store.retrieveCharge(path.id)))
    .on('GET', '/v1/events', ({ params }) =>
      ok(listPage('/v1/events', 'event', store.listEvents(), params, [eventTypeIs(params)])),
    )
    .on('GET', '/v1/events/:id', ({ path }) => ok(store.retrieveEvent(path.id)));
}
