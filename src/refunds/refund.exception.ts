import { HttpStatus } from '@nestjs/common';
import { moduleException } from '../common/errors/app.exception';
import { errorDetails } from '../common/openapi/error-details';
import { RETRY_AFTER_HEADER } from '../common/openapi/response-headers';

export enum RefundErrorCode {
  REFUND_EXCEEDS_PAYMENT = 'REFUND_EXCEEDS_PAYMENT',
  PAYMENT_NOT_REFUNDABLE = 'PAYMENT_NOT_REFUNDABLE',
  REFUND_IN_PROGRESS = 'REFUND_IN_PROGRESS',
  REFUND_NOT_FOUND = 'REFUND_NOT_FOUND',
}

export const REFUND_ERROR_STATUS: Record<RefundErrorCode, HttpStatus> = {
  [RefundErrorCode.REFUND_EXCEEDS_PAYMENT]: HttpStatus.UNPROCESSABLE_ENTITY,
  [RefundErrorCode.PAYMENT_NOT_REFUNDABLE]: HttpStatus.CONFLICT,
  [RefundErrorCode.REFUND_IN_PROGRESS]: HttpStatus.CONFLICT,
  [RefundErrorCode.REFUND_NOT_FOUND]: HttpStatus.NOT_FOUND,
};

export class RefundException extends moduleException(
  REFUND_ERROR_STATUS,
  { [RefundErrorCode.REFUND_IN_PROGRESS]: RETRY_AFTER_HEADER },
  {
    [RefundErrorCode.REFUND_EXCEEDS_PAYMENT]: errorDetails(
      {
        remaining: { type: 'integer', minimum: 0, description: 'What may still be refunded, in minor units' },
        requested: { type: 'integer', minimum: 0, description: 'What the request asked for' },
        providerCode: {
          type: 'string',
          description: "Stripe's refusal, when Stripe holds less to refund than the ledger",
          example: 'amount_too_large',
        },
      },
      {
        description:
          '`remaining` and `requested` when the ledger refuses; `providerCode` alone when Stripe does',
      },
    ),
    [RefundErrorCode.PAYMENT_NOT_REFUNDABLE]: errorDetails(
      { paymentStatus: { type: 'string', description: "The payment's status", example: 'failed' } },
      { always: false, required: ['paymentStatus'] },
    ),
    [RefundErrorCode.REFUND_IN_PROGRESS]: errorDetails(
      {
        pending: {
          type: 'integer',
          minimum: 1,
          description: 'What refunds of the payment still in flight hold, in minor units',
        },
      },
      { always: false, required: ['pending'] },
    ),
  },
) {}
