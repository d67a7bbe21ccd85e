import Stripe from 'stripe';
import { StripeErrorCode, StripeException } from './stripe-error-code';

/**
 * Maps an SDK error to a StripeException. Anything that may be transient (network, timeout,
 * Stripe 5xx, rate limits, a concurrent request on the same Stripe key) is "unavailable":
 * the caller answers 502 and releases its idempotency key, and the retry is safe because it
 * sends the same Stripe idempotency key. Our own misconfiguration (authentication) is too,
 * since the request itself was fine. Other 4xx are final. `isDefinite` tells the two apart:
 * only a definite answer proves Stripe did nothing.
 */
export function translateStripeError(error: unknown): StripeException | undefined {
  if (!(error instanceof Stripe.errors.StripeError)) return undefined;
  if (error instanceof Stripe.errors.StripeCardError) {
    return new StripeException(
      StripeErrorCode.CARD_DECLINED,
      error.message || 'The card was declined',
      error.payment_intent,
      { declineCode: error.decline_code ?? error.code ?? 'card_declined' },
    );
  }
  if (error instanceof Stripe.errors.StripeIdempotencyError && error.code !== 'idempotency_key_in_use') {
    // Same Stripe key, other parameters: our own bug, never fixed by retrying. Left to the
    // exception filter as an internal error.
    return undefined;
  }
  if (error instanceof Stripe.errors.StripeInvalidRequestError && (error.statusCode ?? 400) < 500) {
    if (error.param === 'payment_method') {
      return new StripeException(
        StripeErrorCode.PAYMENT_METHOD_INVALID,
        'The payment method is not usable',
        undefined,
        {
          field: 'paymentMethodId',
        },
      );
    }
    return new StripeException(
      StripeErrorCode.PAYMENT_PROVIDER_REJECTED,
      'The payment provider rejected the request',
      undefined,
      {
        providerCode: error.code,
      },
    );
  }
  return new StripeException(
    StripeErrorCode.PAYMENT_PROVIDER_UNAVAILABLE,
    'The payment provider is unavailable; retry with the same Idempotency-Key',
  );
}

/** True when Stripe certainly did not act on the request (a final rejection, a decline). */
export function isDefinite(error: StripeException): boolean {
  return !error.is(StripeErrorCode.PAYMENT_PROVIDER_UNAVAILABLE);
}
