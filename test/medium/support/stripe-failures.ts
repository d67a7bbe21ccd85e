import Stripe from 'stripe';
import { StripeException } from '../../../src/stripe/stripe.exception';
import { translateStripeError } from '../../../src/stripe/stripe-error.translator';

/**
 * Stripe's failures as the gateway throws them: an SDK error of the kind Stripe answers with,
 * passed through the service's own translator, so a test sees exactly what production code sees.
 */
export const stripeFailures = {
  /** A declined card; Stripe attaches the PaymentIntent it created, except when it never got that far. */
  declined(declineCode: string, paymentIntent?: Stripe.PaymentIntent): StripeException {
    return translated(
      new Stripe.errors.StripeCardError({
        type: 'card_error',
        code: 'card_declined',
        decline_code: declineCode,
        message: 'Your card was declined.',
        statusCode: 402,
        payment_intent: paymentIntent,
      }),
    );
  },

  paymentMethodInvalid(): StripeException {
    return invalidRequest('resource_missing', 'payment_method');
  },

  /** A final refusal of the request itself, e.g. `amount_too_large` for a refund. */
  rejected(code: string, param = 'amount'): StripeException {
    return invalidRequest(code, param);
  },

  /** Stripe unreachable: whether it acted is unknown. */
  unavailable(): StripeException {
    return translated(
      new Stripe.errors.StripeConnectionError({
        message: 'An error occurred with our connection to Stripe.',
      }),
    );
  },
};

function invalidRequest(code: string, param: string): StripeException {
  return translated(
    new Stripe.errors.StripeInvalidRequestError({
      type: 'invalid_request_error',
      code,
      param,
      message: `Invalid request: ${code}`,
      statusCode: 400,
    }),
  );
}

function translated(error: Stripe.errors.StripeError): StripeException {
  const exception = translateStripeError(error);
  if (!exception) throw new Error(`The translator does not map ${error.type}`);
  return exception;
}
