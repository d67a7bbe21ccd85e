import Stripe from 'stripe';
import { PaymentFailure, PaymentFailureCode, StripeErrorCode, StripeException } from './stripe.exception';

/** The one place a Stripe failure becomes an exception, so a code always carries the same message. */
const MESSAGES: Record<StripeErrorCode, string> = {
  [StripeErrorCode.CARD_DECLINED]: 'The card was declined',
  [StripeErrorCode.PAYMENT_METHOD_INVALID]: 'The payment method is not usable',
  [StripeErrorCode.PAYMENT_PROVIDER_REJECTED]: 'The payment provider rejected the request',
  [StripeErrorCode.PAYMENT_PROVIDER_UNAVAILABLE]:
    'The payment provider is unavailable; retry with the same Idempotency-Key',
};

/** About our account or configuration, not the payment: "unavailable" (502, retryable). */
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
 * Anything transient or ours to fix is "unavailable": the caller answers 502 and releases its key, and the
 * retry sends the same Stripe key. Refusals of the payment itself are final.
 */
export function translateStripeError(error: unknown): StripeException | undefined {
  if (!(error instanceof Stripe.errors.StripeError)) return undefined;
  if (error instanceof Stripe.errors.StripeCardError) {
    const declineCode = error.decline_code ?? error.code ?? 'card_declined';
    return failureException({ code: StripeErrorCode.CARD_DECLINED, declineCode }, {}, error.payment_intent);
  }
  if (error instanceof Stripe.errors.StripeIdempotencyError && error.code !== 'idempotency_key_in_use') {
    // Same Stripe key with other parameters is our bug; left to the filter as an internal error.
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

export function failureOf(error: StripeException): PaymentFailure | undefined {
  if (!isDefinite(error)) return undefined;
  const declineCode = error.details?.declineCode;
  return {
    code: error.code as PaymentFailureCode,
    declineCode: typeof declineCode === 'string' ? declineCode : null,
  };
}

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
