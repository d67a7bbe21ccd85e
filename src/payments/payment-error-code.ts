import { HttpStatus } from '@nestjs/common';
import { moduleException } from '../common/errors/app.exception';

export enum PaymentErrorCode {
  PAYMENT_NOT_FOUND = 'PAYMENT_NOT_FOUND',
  RELATED_PAYMENT_NOT_FOUND = 'RELATED_PAYMENT_NOT_FOUND',
  CARD_DECLINED = 'CARD_DECLINED',
}

export const PAYMENT_ERROR_STATUS: Record<PaymentErrorCode, HttpStatus> = {
  [PaymentErrorCode.PAYMENT_NOT_FOUND]: HttpStatus.NOT_FOUND,
  [PaymentErrorCode.RELATED_PAYMENT_NOT_FOUND]: HttpStatus.NOT_FOUND,
  [PaymentErrorCode.CARD_DECLINED]: HttpStatus.PAYMENT_REQUIRED,
};

export class PaymentException extends moduleException(PAYMENT_ERROR_STATUS) {}
