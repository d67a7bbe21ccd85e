import { CallHandler, ExecutionContext, Injectable, NestInterceptor } from '@nestjs/common';
import { HTTP_CODE_METADATA } from '@nestjs/common/constants';
import { Reflector } from '@nestjs/core';
import type { Response } from 'express';
import { catchError, from, mergeMap, Observable, of } from 'rxjs';
import { principalOf } from '../auth/principal';
import { normalizeError } from '../common/errors/normalize-error';
import { StoredResponse } from './entities/payment-idempotency.entity';
import { IdempotencyErrorCode, IdempotencyException } from './idempotency-error-code';
import { fingerprintRequest, IdempotencyScope, readIdempotencyKey } from './idempotency-scope';
import { IdempotencyLease, IdempotencyService } from './idempotency.service';
import { IdempotentRequest } from './idempotent-request';

export const IDEMPOTENT_REPLAYED_HEADER = 'Idempotent-Replayed';

/**
 * Applied by `@Idempotent()`. Runs after authentication (the key is scoped to the caller) and
 * before validation, so it sees the body as sent. Executes the handler at most once per scoped
 * key, replays what it answered, and hands the scope to the handler for Stripe's own keys.
 */
@Injectable()
export class IdempotencyInterceptor implements NestInterceptor {
  constructor(
    private readonly idempotency: IdempotencyService,
    private readonly reflector: Reflector,
  ) {}

  async intercept(context: ExecutionContext, next: CallHandler): Promise<Observable<unknown>> {
    const request = context.switchToHttp().getRequest<IdempotentRequest>();
    const response = context.switchToHttp().getResponse<Response>();
    const principal = principalOf(request);
    const scope: IdempotencyScope = {
      tenantId: principal.tenantId,
      userId: principal.userId,
      key: keyOf(request.rawHeaders),
    };
    const requestHash = fingerprintRequest(request.method, routeOf(request), request.body);

    const outcome = await this.idempotency.begin(scope, requestHash);
    if (outcome.kind === 'replay') return of(replayResponse(outcome.response));

    const lease = outcome.lease;
    request.idempotentExecution = {
      ...scope,
      requestHash,
      ensureHeld: () => this.idempotency.ensureHeld(lease),
    };
    const successStatus =
      this.reflector.get<number | undefined>(HTTP_CODE_METADATA, context.getHandler()) ??
      (request.method === 'POST' ? 201 : 200);
    return next.handle().pipe(
      mergeMap((body: unknown) =>
        from(
          this.settle(outcome.lease, {
            statusCode: successStatus,
            body: JSON.stringify(body),
            location: locationOf(response),
          }).then(() => body),
        ),
      ),
      catchError((error: unknown) => {
        const { exception } = normalizeError(error);
        const stored = { statusCode: exception.status, body: JSON.stringify(exception.toBody()) };
        return from(this.settle(outcome.lease, stored).then(() => Promise.reject(error as Error)));
      }),
    );
  }

  private settle(lease: IdempotencyLease, response: StoredResponse): Promise<void> {
    return this.idempotency.settle(lease, response);
  }
}

function keyOf(rawHeaders: string[]): string {
  const reading = readIdempotencyKey(rawHeaders);
  if ('key' in reading) return reading.key;
  if (reading.problem === 'missing') {
    throw new IdempotencyException(
      IdempotencyErrorCode.KEY_REQUIRED,
      'The Idempotency-Key header is required',
    );
  }
  throw new IdempotencyException(
    IdempotencyErrorCode.KEY_INVALID,
    reading.problem === 'repeated'
      ? 'The Idempotency-Key header must be sent once'
      : 'The Idempotency-Key header must be a UUID v4',
  );
}

/** The route template (`/payments/process`), not the concrete path, so ids do not split keys. */
function routeOf(request: IdempotentRequest): string {
  const route = (request as { route?: { path?: unknown } }).route;
  return `${request.baseUrl}${typeof route?.path === 'string' ? route.path : request.path}`;
}

function locationOf(response: Response): string | undefined {
  const location = response.getHeader('location');
  return typeof location === 'string' ? location : undefined;
}

/** A web Response is sent as is by Nest: the stored status and exact bytes win. */
function replayResponse(stored: StoredResponse): globalThis.Response {
  const headers: Record<string, string> = {
    'content-type': 'application/json; charset=utf-8',
    [IDEMPOTENT_REPLAYED_HEADER]: 'true',
  };
  if (stored.location) headers.location = stored.location;
  return new globalThis.Response(stored.body, { status: stored.statusCode, headers });
}
