import Stripe from 'stripe';
import { PaymentFailure, PaymentFailureCode, StripeErrorCode, StripeException } from './stripe.exception';

/**
 * The one place a Stripe failure becomes an exception, the first time and when a stored failure is
 * answered again. Clients read the same message for the same code, whoever raised it.
 */
const MESSAGES: Record<StripeErrorCode, string> = {
  [StripeErrorCode.CARD_DECLINED]: 'The card was declined',
  [StripeErrorCode.PAYMENT_METHOD_INVALID]: 'The payment method is not usable',
  [StripeErrorCode.PAYMENT_PROVIDER_REJECTED]: 'The payment provider rejected the request',
  [StripeErrorCode.PAYMENT_PROVIDER_UNAVAILABLE]:
    'The payment provider is unavailable; retry with the same Idempotency-Key',
};

/**
 * Invalid-request codes that are about our Stripe account or its configuration, not about the
 * payment: nothing the client sent is wrong and an operator can fix them, so they are
 * "unavailable" (502, not stored, the row stays retryable) rather than a final refusal.
 */
const ACCOUNT_OR_CONFIGURATION_CODES: ReadonlySet<string> = new Set([
  'account_closed',
  'account_invalid',
  'api_key_expired',
  'capability_disabled',
  'livemode_mismatch',
  'platform_account_required',
  'platform_api_key_expired',
  'secret_key_required',
  'testmode_charges_only',
  'tls_version_unsupported',
]);

/**
 * Maps an SDK error to a StripeException. Anything that may be transient or is ours to fix
 * (network, timeout, Stripe 5xx, rate limits, a concurrent request on the same Stripe key,
 * authentication, permissions, account and configuration errors) is "unavailable": the caller
 * answers 502 and releases its idempotency key, and the retry is safe because it sends the same
 * Stripe idempotency key. Refusals of the payment itself (a decline, a bad payment method, an
 * invalid request about the payment) are final. `isDefinite` tells the two apart: only a
 * definite answer proves Stripe did nothing.
 */
export function translateStripeError(error: unknown): StripeException | undefined {
  if (!(error instanceof Stripe.errors.StripeError)) return undefined;
  if (error instanceof Stripe.errors.StripeCardError) {
    const declineCode = error.decline_code ?? error.code ?? 'card_declined';
    return failureException({ code: StripeErrorCode.CARD_DECLINED, declineCode }, {}, error.payment_intent);
  }
  if (error instanceof Stripe.errors.StripeIdempotencyError && error.code !== 'idempotency_key_in_use') {
    // Same Stripe key, other parameters: our own bug, never fixed by retrying. Left to the
    // exception filter as an internal error.
    return undefined;
  }
  if (isPaymentRefusal(error)) {
    if (error.param === 'payment_method') {
      return failureException({ code: StripeErrorCode.PAYMENT_METHOD_INVALID, declineCode: null });
    }
    return failureException(
      { code: StripeErrorCode.PAYMENT_PROVIDER_REJECTED, declineCode: null },
      { providerCode: error.code },
    );
  }
  return new StripeException(
    StripeErrorCode.PAYMENT_PROVIDER_UNAVAILABLE,
    MESSAGES[StripeErrorCode.PAYMENT_PROVIDER_UNAVAILABLE],
  );
}

function isPaymentRefusal(
  error: Stripe.errors.StripeError,
): error is Stripe.errors.StripeInvalidRequestError {
  return (
    error instanceof Stripe.errors.StripeInvalidRequestError &&
    (error.statusCode ?? 400) < 500 &&
    !ACCOUNT_OR_CONFIGURATION_CODES.has(error.code ?? '')
  );
}

/** True when Stripe certainly did not act on the request (a final rejection, a decline). */
export function isDefinite(error: StripeException): boolean {
  return !error.is(StripeErrorCode.PAYMENT_PROVIDER_UNAVAILABLE);
}

/** What a row records of a definite refusal; undefined when Stripe's outcome is unknown. */
export function failureOf(error: StripeException): PaymentFailure | undefined {
  if (!isDefinite(error)) return undefined;
  const declineCode = error.details?.declineCode;
  return {
    code: error.code as PaymentFailureCode,
    declineCode: typeof declineCode === 'string' ? declineCode : null,
  };
}

/** The exception a definite refusal answers with, from its first occurrence or from a stored row. */
export function failureException(
  failure: PaymentFailure,
  details: Record<string, unknown> = {},
  paymentIntent?: Stripe.PaymentIntent,
): StripeException {
  const own: Record<string, unknown> =
    failure.code === StripeErrorCode.CARD_DECLINED
      ? { declineCode: failure.declineCode ?? 'card_declined' }
      : failure.code === StripeErrorCode.PAYMENT_METHOD_INVALID
        ? { field: 'paymentMethodId' }
        : {};
  return new StripeException(failure.code, MESSAGES[failure.code], paymentIntent, { ...details, ...own });
}
