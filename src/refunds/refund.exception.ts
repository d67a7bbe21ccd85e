import { HttpStatus } from '@nestjs/common';
import { moduleException } from '../common/errors/app.exception';
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

export class RefundException extends moduleException(REFUND_ERROR_STATUS, {
  [RefundErrorCode.REFUND_IN_PROGRESS]: RETRY_AFTER_HEADER,
}) {}
