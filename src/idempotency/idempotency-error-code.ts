import { HttpStatus } from '@nestjs/common';
import { AppException } from '../common/errors/app.exception';

export enum IdempotencyErrorCode {
  KEY_REQUIRED = 'IDEMPOTENCY_KEY_REQUIRED',
  KEY_INVALID = 'IDEMPOTENCY_KEY_INVALID',
  KEY_MISMATCH = 'IDEMPOTENCY_KEY_MISMATCH',
  DUPLICATE_IN_PROGRESS = 'DUPLICATE_IN_PROGRESS',
}

const IDEMPOTENCY_ERROR_STATUS: Record<IdempotencyErrorCode, HttpStatus> = {
  [IdempotencyErrorCode.KEY_REQUIRED]: HttpStatus.BAD_REQUEST,
  [IdempotencyErrorCode.KEY_INVALID]: HttpStatus.BAD_REQUEST,
  [IdempotencyErrorCode.KEY_MISMATCH]: HttpStatus.UNPROCESSABLE_ENTITY,
  [IdempotencyErrorCode.DUPLICATE_IN_PROGRESS]: HttpStatus.CONFLICT,
};

export class IdempotencyException extends AppException {
  constructor(code: IdempotencyErrorCode, message: string, headers?: Record<string, string>) {
    super(code, IDEMPOTENCY_ERROR_STATUS[code], message, undefined, headers);
  }
}
