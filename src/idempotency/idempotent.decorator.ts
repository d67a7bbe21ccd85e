import { applyDecorators, UseInterceptors } from '@nestjs/common';
import { ApiConflictResponse, ApiHeader, ApiUnprocessableEntityResponse } from '@nestjs/swagger';
import { IdempotencyInterceptor } from './idempotency.interceptor';

/** Makes a POST route exactly-once per (tenant, user, Idempotency-Key) (SPEC §4). */
export const Idempotent = () =>
  applyDecorators(
    UseInterceptors(IdempotencyInterceptor),
    ApiHeader({
      name: 'Idempotency-Key',
      required: true,
      description: 'A UUID v4, bare or quoted. Retries with the same key and body replay the first answer.',
    }),
    ApiConflictResponse({
      description: 'DUPLICATE_IN_PROGRESS: the same key is still running (see Retry-After)',
    }),
    ApiUnprocessableEntityResponse({
      description: 'IDEMPOTENCY_KEY_MISMATCH: the key was used with another body',
    }),
  );
