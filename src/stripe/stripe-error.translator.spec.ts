import Stripe from 'stripe';
import { StripeErrorCode } from './stripe-error-code';
import { translateStripeError } from './stripe-error.translator';

const raw = (overrides: Partial<Stripe.StripeRawError>): Stripe.StripeRawError => ({
  message: 'boom',
  type: 'api_error',
  ...overrides,
});

describe(translateStripeError.name, () => {
  it('keeps the PaymentIntent of a declined card', () => {
    const paymentIntent = { id: 'pi_1' } as Stripe.PaymentIntent;
    const error = new Stripe.errors.StripeCardError(
      raw({
        type: 'card_error',
        code: 'card_declined',
        decline_code: 'insufficient_funds',
        payment_intent: paymentIntent,
      }),
    );
    const translated = translateStripeError(error);
    expect(translated).toMatchObject({ code: StripeErrorCode.CARD_DECLINED, status: 402 });
    expect(translated?.paymentIntent?.id).toBe('pi_1');
    expect(translated?.details).toEqual({ declineCode: 'insufficient_funds' });
  });

  it.each([
    ['a connection error', new Stripe.errors.StripeConnectionError(raw({}))],
    ['a Stripe 500', new Stripe.errors.StripeAPIError(raw({ statusCode: 500 }))],
    ['a rate limit', new Stripe.errors.StripeRateLimitError(raw({ statusCode: 429 }))],
    // The SDK raises a 409 as an API error, whatever its type.
    ['a key in use (409)', new Stripe.errors.StripeAPIError(raw({ statusCode: 409 }))],
    [
      'a key in use (typed)',
      new Stripe.errors.StripeIdempotencyError(raw({ statusCode: 400, code: 'idempotency_key_in_use' })),
    ],
    ['our own bad key', new Stripe.errors.StripeAuthenticationError(raw({ statusCode: 401 }))],
  ])('treats %s as unavailable (502, retry with the same key)', (_name, error) => {
    expect(translateStripeError(error)).toMatchObject({
      code: StripeErrorCode.PAYMENT_PROVIDER_UNAVAILABLE,
      status: 502,
    });
  });

  it('names the payment method when Stripe rejects it', () => {
    const error = new Stripe.errors.StripeInvalidRequestError(
      raw({ statusCode: 400, param: 'payment_method' }),
    );
    expect(translateStripeError(error)).toMatchObject({
      code: StripeErrorCode.PAYMENT_METHOD_INVALID,
      status: 422,
    });
  });

  it('answers other invalid requests as rejected (422)', () => {
    const error = new Stripe.errors.StripeInvalidRequestError(
      raw({ statusCode: 400, code: 'amount_too_large' }),
    );
    expect(translateStripeError(error)).toMatchObject({
      code: StripeErrorCode.PAYMENT_PROVIDER_REJECTED,
      status: 422,
    });
  });

  it('leaves a Stripe key reused with other parameters to the filter: our bug, not worth a retry', () => {
    const error = new Stripe.errors.StripeIdempotencyError(
      raw({ statusCode: 400, type: 'idempotency_error' }),
    );
    expect(translateStripeError(error)).toBeUndefined();
  });

  it('leaves errors that are not Stripe’s alone', () => {
    expect(translateStripeError(new Error('x'))).toBeUndefined();
  });
});
