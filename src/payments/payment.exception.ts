import { HttpStatus } from '@nestjs/common';
import { moduleException } from '../common/errors/app.exception';
import { errorDetails, fieldDetail } from '../common/openapi/error-details';

export enum PaymentErrorCode {
  PAYMENT_NOT_FOUND = 'PAYMENT_NOT_FOUND',
  RELATED_PAYMENT_NOT_FOUND = 'RELATED_PAYMENT_NOT_FOUND',
}

export const PAYMENT_ERROR_STATUS: Record<PaymentErrorCode, HttpStatus> = {
  [PaymentErrorCode.PAYMENT_NOT_FOUND]: HttpStatus.NOT_FOUND,
  [PaymentErrorCode.RELATED_PAYMENT_NOT_FOUND]: HttpStatus.NOT_FOUND,
};

export class PaymentException extends moduleException(
  PAYMENT_ERROR_STATUS,
  {},
  {
    [PaymentErrorCode.RELATED_PAYMENT_NOT_FOUND]: errorDetails(
      { field: fieldDetail('relatedPaymentId') },
      { required: ['field'] },
    ),
  },
) {}
