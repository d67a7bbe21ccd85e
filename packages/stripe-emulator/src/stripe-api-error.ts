import type { PaymentIntent, StripeErrorBody } from './stripe-emulator.types';

/**
 * An error the emulated API answers with. `storable` follows Stripe's idempotency rule: a result is
 * saved only once the endpoint started executing, so parameter validation failures are not replayed.
 */
export class StripeApiError extends Error {
  constructor(
    readonly status: number,
    readonly body: StripeErrorBody,
    readonly storable = true,
  ) {
    super(body.message);
  }

  toJSON(): { error: StripeErrorBody } {
    return { error: this.body };
  }
}

export function parameterMissing(param: string): StripeApiError {
  return new StripeApiError(
    400,
    {
      type: 'invalid_request_error',
      code: 'parameter_missing',
      param,
      message: `Missing required param: ${param}.`,
    },
    false,
  );
}

export function parameterInvalid(param: string, message: string, code = 'parameter_invalid'): StripeApiError {
  return new StripeApiError(400, { type: 'invalid_request_error', code, param, message }, false);
}

export function resourceMissing(kind: string, id: string, param?: string): StripeApiError {
  return new StripeApiError(
    param ? 400 : 404,
    { type: 'invalid_request_error', code: 'resource_missing', message: `No such ${kind}: '${id}'`, param },
    false,
  );
}

export function unexpectedState(paymentIntent: PaymentIntent, message: string): StripeApiError {
  return new StripeApiError(400, {
    type: 'invalid_request_error',
    code: 'payment_intent_unexpected_state',
    message,
    payment_intent: paymentIntent,
  });
}

export function invalidRequest(message: string, code?: string, param?: string): StripeApiError {
  return new StripeApiError(400, { type: 'invalid_request_error', code, param, message });
}

export function cardDeclined(
  paymentIntent: PaymentIntent,
  chargeId: string,
  declineCode: string,
): StripeApiError {
  return new StripeApiError(402, {
    type: 'card_error',
    code: 'card_declined',
    decline_code: declineCode,
    message: 'Your card was declined.',
    charge: chargeId,
    payment_intent: paymentIntent,
  });
}

export function authenticationFailed(message: string): StripeApiError {
  return new StripeApiError(401, { type: 'authentication_error', message }, false);
}

export function unrecognizedUrl(method: string, path: string): StripeApiError {
  return new StripeApiError(
    404,
    { type: 'invalid_request_error', message: `Unrecognized request URL (${method}: ${path}).` },
    false,
  );
}

export function idempotencyMismatch(key: string, detail: string): StripeApiError {
  return new StripeApiError(
    400,
    {
      type: 'idempotency_error',
      message: `Keys for idempotent requests can only be used ${detail}. Try using a key other than '${key}' if you meant to execute a different request.`,
    },
    false,
  );
}

export function idempotencyKeyInUse(key: string): StripeApiError {
  return new StripeApiError(
    409,
    {
      type: 'idempotency_error',
      code: 'idempotency_key_in_use',
      message: `There is currently another in-progress request using this idempotency key: '${key}'. Try again later.`,
    },
    false,
  );
}

export function internalError(message = 'An unknown error occurred.'): StripeApiError {
  return new StripeApiError(500, { type: 'api_error', message }, false);
}

/** Stripe's answer when a Customer's saved PaymentMethod is used without naming that Customer. */
export function paymentMethodNeedsCustomer(paymentMethod: string): StripeApiError {
  return new StripeApiError(
    400,
    {
      type: 'invalid_request_error',
      param: 'payment_method',
      message: `The PaymentMethod provided (${paymentMethod}) belongs to a Customer, but no Customer was provided. Please include the Customer in the \`customer\` parameter on the PaymentIntent.`,
    },
    false,
  );
}

/** Stripe's answer when a saved PaymentMethod is used on another Customer's PaymentIntent. */
export function paymentMethodOfAnotherCustomer(paymentMethod: string, customer: string): StripeApiError {
  return new StripeApiError(
    400,
    {
      type: 'invalid_request_error',
      param: 'payment_method',
      message: `The PaymentMethod provided (${paymentMethod}) is attached to a different Customer, not ${customer}. A PaymentMethod may only be used with the Customer it is attached to.`,
    },
    false,
  );
}

export function paymentMethodAlreadyAttached(paymentMethod: string): StripeApiError {
  return new StripeApiError(
    400,
    {
      type: 'invalid_request_error',
      param: 'payment_method',
      message: `The payment method you provided (${paymentMethod}) has already been attached to a customer.`,
    },
    false,
  );
}
