import { HttpStatus } from '@nestjs/common';
import { moduleException } from '../common/errors/app.exception';

export enum CustomerErrorCode {
  CUSTOMER_NOT_FOUND = 'CUSTOMER_NOT_FOUND',
}

export const CUSTOMER_ERROR_STATUS: Record<CustomerErrorCode, HttpStatus> = {
  [CustomerErrorCode.CUSTOMER_NOT_FOUND]: HttpStatus.NOT_FOUND,
};

export class CustomerException extends moduleException(CUSTOMER_ERROR_STATUS) {}
