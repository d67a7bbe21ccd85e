import { applyDecorators, SetMetadata, UseInterceptors } from '@nestjs/common';
import { ApiHeader } from '@nestjs/swagger';
import { CommonErrorCode } from '../common/errors/common.exception';
import { ApiErrorHeaders, ApiErrors } from '../common/openapi/api-errors.decorator';
import { ResponseHeaders } from '../common/openapi/response-headers';
import { IdempotencyErrorCode } from './idempotency.exception';
import { storagePolicyFor } from './idempotency-policy';
import { IDEMPOTENCY_KEY_PATTERN } from './idempotency-scope';
import { IDEMPOTENT_REPLAYED_HEADER, IdempotencyInterceptor } from './idempotency.interceptor';
import { IDEMPOTENT_OPTIONS, IdempotentOptions } from './idempotent-options';

/** Errors any idempotent route may return around its handler (docs/design/idempotency.md). */
export const IDEMPOTENT_ROUTE_ERRORS: readonly string[] = [
  IdempotencyErrorCode.KEY_REQUIRED,
  IdempotencyErrorCode.KEY_INVALID,
  IdempotencyErrorCode.KEY_MISMATCH,
  IdempotencyErrorCode.DUPLICATE_IN_PROGRESS,
  CommonErrorCode.VALIDATION_FAILED,
  CommonErrorCode.MALFORMED_JSON,
  CommonErrorCode.BAD_REQUEST,
  CommonErrorCode.PAYLOAD_TOO_LARGE,
  CommonErrorCode.UNSUPPORTED_MEDIA_TYPE,
  CommonErrorCode.SERVICE_UNAVAILABLE,
];

export const IDEMPOTENT_REPLAYED_RESPONSE_HEADER: ResponseHeaders = {
  [IDEMPOTENT_REPLAYED_HEADER]: {
    description:
      '`true` when this is the stored answer to an earlier request with the same key and body; absent on a first execution',
    schema: { type: 'string', enum: ['true'] },
  },
};

/** Makes a POST route exactly-once per (tenant, user, Idempotency-Key) (docs/design/idempotency.md). */
export const Idempotent = (options: IdempotentOptions = {}) =>
  applyDecorators(
    SetMetadata(IDEMPOTENT_OPTIONS, options),
    UseInterceptors(IdempotencyInterceptor),
    ApiHeader({
      name: 'Idempotency-Key',
      required: true,
      description:
        'A UUID v4, bare or as a quoted structured-field string. Retries with the same key and body replay the first answer.',
      schema: { type: 'string', pattern: IDEMPOTENCY_KEY_PATTERN },
      example: '"1b9d6bcd-bbfd-4b2d-9b5d-ab8dfbbd4bed"',
    }),
    ApiErrors(...IDEMPOTENT_ROUTE_ERRORS),
    // Only errors that are stored for replay can come back with the replay header.
    ApiErrorHeaders((status) =>
      storagePolicyFor(status) === 'none' ? {} : IDEMPOTENT_REPLAYED_RESPONSE_HEADER,
    ),
  );
