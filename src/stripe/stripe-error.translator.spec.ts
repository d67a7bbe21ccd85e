import Stripe from 'stripe';
import { StripeErrorCode } from './stripe.exception';
import { failureException, failureOf, isDefinite, translateStripeError } from './stripe-error.translator';

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
    expect(translated?.message).toBe('The card was declined');
  });

  it.each<[string, Stripe.errors.StripeError]>([
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
    ['a restricted key', new Stripe.errors.StripePermissionError(raw({ statusCode: 403 }))],
    ...['testmode_charges_only', 'account_invalid', 'livemode_mismatch', 'secret_key_required'].map(
      (code) =>
        [
          `an account or configuration error (${code})`,
          new Stripe.errors.StripeInvalidRequestError(raw({ statusCode: 400, code })),
        ] as [string, Stripe.errors.StripeError],
    ),
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

  it('records a definite refusal as our code and Stripe’s decline code, and answers it again identically', () => {
    const first = translateStripeError(
      new Stripe.errors.StripeCardError(
        raw({ type: 'card_error', code: 'card_declined', decline_code: 'lost_card' }),
      ),
    )!;
    const failure = failureOf(first);
    expect(failure).toEqual({ code: StripeErrorCode.CARD_DECLINED, declineCode: 'lost_card' });
    const again = failureException(failure!, { paymentId: 'p1' });
    expect(again.toBody()).toEqual({
      statusCode: 402,
      code: 'CARD_DECLINED',
      message: first.message,
      details: { paymentId: 'p1', declineCode: 'lost_card' },
    });
  });

  it('records nothing for an unknown outcome', () => {
    const unavailable = translateStripeError(new Stripe.errors.StripeConnectionError(raw({})))!;
    expect(isDefinite(unavailable)).toBe(false);
    expect(failureOf(unavailable)).toBeUndefined();
  });
});
