import { HttpException, HttpStatus } from '@nestjs/common';
import { isDatabaseUnavailableError } from './database-unavailable';
import { AppException } from './app.exception';
import { CommonErrorCode, CommonException } from './common.exception';

export type ErrorOrigin = 'app' | 'http' | 'database-unavailable' | 'unexpected';

export interface NormalizedError {
  exception: AppException;
  origin: ErrorOrigin;
}

/** Maps anything thrown to what a client sees; idempotency stores the same body for replays. */
export function normalizeError(error: unknown): NormalizedError {
  if (error instanceof AppException) return { exception: error, origin: 'app' };
  if (error instanceof HttpException) return { exception: fromHttpException(error), origin: 'http' };
  if (isDatabaseUnavailableError(error)) {
    return { exception: CommonException.serviceUnavailable(), origin: 'database-unavailable' };
  }
  return {
    exception: new CommonException(CommonErrorCode.INTERNAL_ERROR, 'Internal server error'),
    origin: 'unexpected',
  };
}

/** Stable codes for the framework's own HTTP errors (unknown route, body parser, …). */
const CODE_BY_STATUS: Partial<Record<number, CommonErrorCode>> = {
  [HttpStatus.BAD_REQUEST]: CommonErrorCode.BAD_REQUEST,
  [HttpStatus.FORBIDDEN]: CommonErrorCode.FORBIDDEN,
  [HttpStatus.NOT_FOUND]: CommonErrorCode.ROUTE_NOT_FOUND,
  [HttpStatus.CONFLICT]: CommonErrorCode.CONFLICT,
  [HttpStatus.PAYLOAD_TOO_LARGE]: CommonErrorCode.PAYLOAD_TOO_LARGE,
  [HttpStatus.UNSUPPORTED_MEDIA_TYPE]: CommonErrorCode.UNSUPPORTED_MEDIA_TYPE,
  [HttpStatus.TOO_MANY_REQUESTS]: CommonErrorCode.TOO_MANY_REQUESTS,
};

function fromHttpException(error: HttpException): AppException {
  const status = error.getStatus();
  if (status === 400 && error.cause instanceof SyntaxError) {
    return new CommonException(CommonErrorCode.MALFORMED_JSON, 'Request body is not valid JSON');
  }
  if (status === 503) {
    // Name the failed dependency of a readiness check (terminus), nothing more.
    const report = error.getResponse();
    return new CommonException(
      CommonErrorCode.SERVICE_UNAVAILABLE,
      'A required service is unavailable; retry shortly',
      typeof report === 'object' ? (report as Record<string, unknown>) : undefined,
      { 'Retry-After': '5' },
    );
  }
  if (status >= 500) return new CommonException(CommonErrorCode.INTERNAL_ERROR, 'Internal server error');
  return new AppException(CODE_BY_STATUS[status] ?? `HTTP_${status}`, status, error.message);
}
