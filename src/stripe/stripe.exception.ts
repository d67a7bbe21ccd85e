import { HttpStatus } from '@nestjs/common';
import type Stripe from 'stripe';
import { moduleException } from '../common/errors/app.exception';

export enum StripeErrorCode {
  CARD_DECLINED = 'CARD_DECLINED',
  PAYMENT_METHOD_INVALID = 'PAYMENT_METHOD_INVALID',
  PAYMENT_PROVIDER_REJECTED = 'PAYMENT_PROVIDER_REJECTED',
  PAYMENT_PROVIDER_UNAVAILABLE = 'PAYMENT_PROVIDER_UNAVAILABLE',
}

export const STRIPE_ERROR_STATUS: Record<StripeErrorCode, HttpStatus> = {
  [StripeErrorCode.CARD_DECLINED]: HttpStatus.PAYMENT_REQUIRED,
  [StripeErrorCode.PAYMENT_METHOD_INVALID]: HttpStatus.UNPROCESSABLE_ENTITY,
  [StripeErrorCode.PAYMENT_PROVIDER_REJECTED]: HttpStatus.UNPROCESSABLE_ENTITY,
  [StripeErrorCode.PAYMENT_PROVIDER_UNAVAILABLE]: HttpStatus.BAD_GATEWAY,
};

/** Stripe's definite refusals of a payment: recorded on its row and answered on every re-execution. */
export type PaymentFailureCode = Exclude<StripeErrorCode, StripeErrorCode.PAYMENT_PROVIDER_UNAVAILABLE>;

export const PAYMENT_FAILURE_CODES: readonly PaymentFailureCode[] = [
  StripeErrorCode.CARD_DECLINED,
  StripeErrorCode.PAYMENT_METHOD_INVALID,
  StripeErrorCode.PAYMENT_PROVIDER_REJECTED,
];

/** What a row keeps of a definite refusal: our code, and Stripe's decline code for a declined card. */
export interface PaymentFailure {
  code: PaymentFailureCode;
  declineCode: string | null;
}

/**
 * A Stripe failure in our own terms, translated at the edge of this module: callers never
 * see an SDK error. A declined card keeps the PaymentIntent Stripe created for it.
 */
export class StripeException extends moduleException(STRIPE_ERROR_STATUS) {
  constructor(
    code: StripeErrorCode,
    message: string,
    readonly paymentIntent?: Stripe.PaymentIntent,
    details?: Record<string, unknown>,
  ) {
    super(code, message, details);
  }

  is(code: StripeErrorCode): boolean {
    return this.code === (code as string);
  }
}
