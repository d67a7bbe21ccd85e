import { HttpStatus } from '@nestjs/common';
import type { SchemaObject } from '@nestjs/swagger';
import { errorDetails } from '../openapi/error-details';
import { RETRY_AFTER_HEADER } from '../openapi/response-headers';
import { moduleException } from './app.exception';

export enum CommonErrorCode {
  VALIDATION_FAILED = 'VALIDATION_FAILED',
  MALFORMED_JSON = 'MALFORMED_JSON',
  PAYLOAD_TOO_LARGE = 'PAYLOAD_TOO_LARGE',
  UNSUPPORTED_MEDIA_TYPE = 'UNSUPPORTED_MEDIA_TYPE',
  ROUTE_NOT_FOUND = 'ROUTE_NOT_FOUND',
  NOT_FOUND = 'NOT_FOUND',
  FORBIDDEN = 'FORBIDDEN',
  CONFLICT = 'CONFLICT',
  TOO_MANY_REQUESTS = 'TOO_MANY_REQUESTS',
  RATE_LIMITED = 'RATE_LIMITED',
  BAD_REQUEST = 'BAD_REQUEST',
  MALFORMED_REQUEST = 'MALFORMED_REQUEST',
  REQUEST_TIMEOUT = 'REQUEST_TIMEOUT',
  HEADERS_TOO_LARGE = 'HEADERS_TOO_LARGE',
  INTERNAL_ERROR = 'INTERNAL_ERROR',
  SERVICE_UNAVAILABLE = 'SERVICE_UNAVAILABLE',
}

export const COMMON_ERROR_STATUS: Record<CommonErrorCode, HttpStatus> = {
  [CommonErrorCode.VALIDATION_FAILED]: HttpStatus.BAD_REQUEST,
  [CommonErrorCode.MALFORMED_JSON]: HttpStatus.BAD_REQUEST,
  [CommonErrorCode.PAYLOAD_TOO_LARGE]: HttpStatus.PAYLOAD_TOO_LARGE,
  [CommonErrorCode.UNSUPPORTED_MEDIA_TYPE]: HttpStatus.UNSUPPORTED_MEDIA_TYPE,
  [CommonErrorCode.ROUTE_NOT_FOUND]: HttpStatus.NOT_FOUND,
  [CommonErrorCode.NOT_FOUND]: HttpStatus.NOT_FOUND,
  [CommonErrorCode.FORBIDDEN]: HttpStatus.FORBIDDEN,
  [CommonErrorCode.CONFLICT]: HttpStatus.CONFLICT,
  [CommonErrorCode.TOO_MANY_REQUESTS]: HttpStatus.TOO_MANY_REQUESTS,
  [CommonErrorCode.RATE_LIMITED]: HttpStatus.TOO_MANY_REQUESTS,
  [CommonErrorCode.BAD_REQUEST]: HttpStatus.BAD_REQUEST,
  [CommonErrorCode.MALFORMED_REQUEST]: HttpStatus.BAD_REQUEST,
  [CommonErrorCode.REQUEST_TIMEOUT]: HttpStatus.REQUEST_TIMEOUT,
  // Nest's HttpStatus enum has no 431.
  [CommonErrorCode.HEADERS_TOO_LARGE]: 431 as HttpStatus,
  [CommonErrorCode.INTERNAL_ERROR]: HttpStatus.INTERNAL_SERVER_ERROR,
  [CommonErrorCode.SERVICE_UNAVAILABLE]: HttpStatus.SERVICE_UNAVAILABLE,
};

const HEALTH_ENTRIES: SchemaObject = {
  type: 'object',
  additionalProperties: {
    type: 'object',
    description: 'Its state, and whatever else its check reports (`message`…)',
    properties: { status: { type: 'string', example: 'down' }, message: { type: 'string' } },
    required: ['status'],
    additionalProperties: true,
  },
};

export class CommonException extends moduleException(
  COMMON_ERROR_STATUS,
  {
    [CommonErrorCode.SERVICE_UNAVAILABLE]: RETRY_AFTER_HEADER,
    [CommonErrorCode.RATE_LIMITED]: RETRY_AFTER_HEADER,
  },
  {
    [CommonErrorCode.VALIDATION_FAILED]: errorDetails(
      {
        fields: {
          type: 'array',
          description: 'Each offending field (nested ones by path, `body` for the body itself)',
          items: {
            type: 'object',
            properties: {
              field: { type: 'string', example: 'amount' },
              messages: {
                type: 'array',
                items: { type: 'string' },
                example: ['amount must not be less than 1'],
              },
            },
            required: ['field', 'messages'],
            additionalProperties: false,
          },
        },
      },
      { required: ['fields'] },
    ),
    [CommonErrorCode.SERVICE_UNAVAILABLE]: errorDetails(
      {
        status: { type: 'string', enum: ['error'] },
        info: HEALTH_ENTRIES,
        error: HEALTH_ENTRIES,
        details: HEALTH_ENTRIES,
      },
      {
        always: false,
        required: ['status', 'info', 'error', 'details'],
        description: 'Sent by a failed readiness check only: each dependency and its state',
      },
    ),
  },
) {
  static serviceUnavailable(
    message = 'A required service is unavailable; retry shortly',
    retryAfterSeconds = 5,
  ) {
    return new CommonException(CommonErrorCode.SERVICE_UNAVAILABLE, message, undefined, {
      'Retry-After': String(retryAfterSeconds),
    });
  }

  /** See docs/design/requests.md, "Rate limits". */
  static rateLimited(retryAfterSeconds: number) {
    return new CommonException(
      CommonErrorCode.RATE_LIMITED,
      `Rate limit reached for this tenant; retry after ${retryAfterSeconds} s`,
      undefined,
      { 'Retry-After': String(retryAfterSeconds) },
    );
  }
}
