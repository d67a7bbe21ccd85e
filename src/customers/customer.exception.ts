import { HttpStatus } from '@nestjs/common';
import { moduleException } from '../common/errors/app.exception';
import { errorDetails, fieldDetail } from '../common/openapi/error-details';

export enum CustomerErrorCode {
  CUSTOMER_NOT_FOUND = 'CUSTOMER_NOT_FOUND',
}

export const CUSTOMER_ERROR_STATUS: Record<CustomerErrorCode, HttpStatus> = {
  [CustomerErrorCode.CUSTOMER_NOT_FOUND]: HttpStatus.NOT_FOUND,
};

export class CustomerException extends moduleException(
  CUSTOMER_ERROR_STATUS,
  {},
  {
    // Only when a payment names a customerId the tenant does not own; a read by id has none.
    [CustomerErrorCode.CUSTOMER_NOT_FOUND]: errorDetails(
      { field: fieldDetail('customerId') },
      { always: false, required: ['field'] },
    ),
  },
) {}
