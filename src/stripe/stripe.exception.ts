import { HttpStatus } from '@nestjs/common';
import type { SchemaObject } from '@nestjs/swagger';
import type Stripe from 'stripe';
import { moduleException } from '../common/errors/app.exception';
import { errorDetails, fieldDetail } from '../common/openapi/error-details';

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

/** Definite refusals: recorded on the payment's row and answered again on every re-execution. */
export type PaymentFailureCode = Exclude<StripeErrorCode, StripeErrorCode.PAYMENT_PROVIDER_UNAVAILABLE>;

export const PAYMENT_FAILURE_CODES: readonly PaymentFailureCode[] = [
  StripeErrorCode.CARD_DECLINED,
  StripeErrorCode.PAYMENT_METHOD_INVALID,
  StripeErrorCode.PAYMENT_PROVIDER_REJECTED,
];

export interface PaymentFailure {
  code: PaymentFailureCode;
  declineCode: string | null;
}

/** Callers never see an SDK error. A declined card keeps the PaymentIntent Stripe created for it. */
const FAILED_PAYMENT_ID: SchemaObject = {
  type: 'string',
  format: 'uuid',
  description: 'The failed payment, recorded with its status `failed`',
};

export class StripeException extends moduleException(
  STRIPE_ERROR_STATUS,
  {},
  {
    [StripeErrorCode.CARD_DECLINED]: errorDetails(
      {
        paymentId: FAILED_PAYMENT_ID,
        declineCode: { type: 'string', description: "Stripe's decline code", example: 'insufficient_funds' },
      },
      { required: ['paymentId', 'declineCode'] },
    ),
    [StripeErrorCode.PAYMENT_METHOD_INVALID]: errorDetails(
      { paymentId: FAILED_PAYMENT_ID, field: fieldDetail('paymentMethodId') },
      { required: ['paymentId', 'field'] },
    ),
    [StripeErrorCode.PAYMENT_PROVIDER_REJECTED]: errorDetails(
      {
        paymentId: { ...FAILED_PAYMENT_ID, description: 'The failed payment, on the payment routes' },
        providerCode: { type: 'string', description: "Stripe's error code, when Stripe gave one" },
      },
      { description: 'On a payment route: `paymentId`, and `providerCode` the first time' },
    ),
  },
) {
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
