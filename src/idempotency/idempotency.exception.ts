import { HttpStatus } from '@nestjs/common';
import { moduleException } from '../common/errors/app.exception';
import { RETRY_AFTER_HEADER } from '../common/openapi/response-headers';

export enum IdempotencyErrorCode {
  KEY_REQUIRED = 'IDEMPOTENCY_KEY_REQUIRED',
  KEY_INVALID = 'IDEMPOTENCY_KEY_INVALID',
  KEY_MISMATCH = 'IDEMPOTENCY_KEY_MISMATCH',
  DUPLICATE_IN_PROGRESS = 'DUPLICATE_IN_PROGRESS',
}

export const IDEMPOTENCY_ERROR_STATUS: Record<IdempotencyErrorCode, HttpStatus> = {
  [IdempotencyErrorCode.KEY_REQUIRED]: HttpStatus.BAD_REQUEST,
  [IdempotencyErrorCode.KEY_INVALID]: HttpStatus.BAD_REQUEST,
  [IdempotencyErrorCode.KEY_MISMATCH]: HttpStatus.UNPROCESSABLE_ENTITY,
  [IdempotencyErrorCode.DUPLICATE_IN_PROGRESS]: HttpStatus.CONFLICT,
};

export class IdempotencyException extends moduleException(IDEMPOTENCY_ERROR_STATUS, {
  [IdempotencyErrorCode.DUPLICATE_IN_PROGRESS]: RETRY_AFTER_HEADER,
}) {}

/** Another execution holds the key; the client may retry after a second. */
export function duplicateInProgress(
  message = 'A request with this Idempotency-Key is still in progress; retry later',
): IdempotencyException {
  return new IdempotencyException(IdempotencyErrorCode.DUPLICATE_IN_PROGRESS, message, undefined, {
    'Retry-After': '1',
  });
}
