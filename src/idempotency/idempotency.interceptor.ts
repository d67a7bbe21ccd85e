import { CallHandler, ExecutionContext, Injectable, NestInterceptor } from '@nestjs/common';
import { HTTP_CODE_METADATA } from '@nestjs/common/constants';
import { Reflector } from '@nestjs/core';
import type { FastifyReply } from 'fastify';
import { catchError, finalize, from, mergeMap, Observable, of, throwError } from 'rxjs';
import { principalOf } from '../auth';
import { normalizeError } from '../common/errors/normalize-error';
import { TransactionRunner } from '../database/transaction-runner';
import { UnitOfWork } from '../database/unit-of-work';
import { StoredResponse } from './entities/payment-idempotency.entity';
import { IdempotencyErrorCode, IdempotencyException } from './idempotency.exception';
import { fingerprintRequest, IdempotencyScope, readIdempotencyKey } from './idempotency-scope';
import { IdempotencyLease } from './idempotency-leases';
import { BeginOutcome, IdempotencyService, SETTLED, SettleResult } from './idempotency.service';
import { IDEMPOTENT_OPTIONS, IdempotentOptions } from './idempotent-options';
import { IdempotentRequest } from './idempotent-request';

export const IDEMPOTENT_REPLAYED_HEADER = 'Idempotent-Replayed';

/** After authentication (the key is scoped to the caller), before validation (fingerprint as sent). */
@Injectable()
export class IdempotencyInterceptor implements NestInterceptor {
  constructor(
    private readonly idempotency: IdempotencyService,
    private readonly reflector: Reflector,
    private readonly transactions: TransactionRunner,
  ) {}

  async intercept(context: ExecutionContext, next: CallHandler): Promise<Observable<unknown>> {
    const request = context.switchToHttp().getRequest<IdempotentRequest>();
    const response = context.switchToHttp().getResponse<FastifyReply>();
    const principal = principalOf(request);
    const scope: IdempotencyScope = {
      tenantId: principal.tenantId,
      userId: principal.userId,
      key: keyOf(request.raw.rawHeaders),
    };
    const requestHash = fingerprintRequest(
      request.method,
      routeOf(request),
      request.body,
      request.params as Record<string, string>,
    );

    const unit = this.sharesUnitOfWork(context) ? this.transactions.unitOfWork() : undefined;
    const outcome = await this.begin(unit, scope, requestHash);
    if (outcome.kind === 'replay') return of(replay(outcome.response, response));

    const lease = outcome.lease;
    request.idempotentExecution = {
      ...scope,
      requestHash,
      ensureHeld: () => this.idempotency.ensureHeld(lease),
    };
    const successStatus =
      this.reflector.get<number | undefined>(HTTP_CODE_METADATA, context.getHandler()) ??
      (request.method === 'POST' ? 201 : 200);
    const handled = unit ? unit.run(() => next.handle()) : next.handle();
    // Set when the execution turned out not to hold the key and the answer came from the key's record (see
    // `IdempotencyService.settle`); it is final and never settled again.
    let unclaimedAnswer: unknown;
    const answerUnclaimed = (result: SettleResult & { kind: 'not-claimed' }): string => {
      if (result.answer instanceof IdempotencyException) {
        unclaimedAnswer = result.answer;
        throw result.answer;
      }
      return replay(result.answer.response, response);
    };
    return handled.pipe(
      mergeMap((body: unknown) =>
        from(
          this.settle(unit, outcome.lease, {
            statusCode: successStatus,
            body: JSON.stringify(body),
            location: locationOf(response),
          }).then((result) => (result.kind === 'not-claimed' ? answerUnclaimed(result) : body)),
        ),
      ),
      catchError((error: unknown) => {
        if (error === unclaimedAnswer) return throwError(() => error);
        const { exception } = normalizeError(error);
        const stored = { statusCode: exception.status, body: JSON.stringify(exception.toBody()) };
        // The client gets this error whether or not its record was committed, unless the execution never held
        // the key.
        const settled = this.settle(unit, outcome.lease, stored).catch(() => SETTLED);
        return from(
          settled.then((result) =>
            result.kind === 'not-claimed' ? answerUnclaimed(result) : Promise.reject(error as Error),
          ),
        );
      }),
      finalize(() => void unit?.close()),
    );
  }

  private sharesUnitOfWork(context: ExecutionContext): boolean {
    const options = this.reflector.get<IdempotentOptions | undefined>(
      IDEMPOTENT_OPTIONS,
      context.getHandler(),
    );
    return options?.sharesUnitOfWork === true;
  }

  private async begin(
    unit: UnitOfWork | undefined,
    scope: IdempotencyScope,
    requestHash: string,
  ): Promise<BeginOutcome> {
    if (!unit) return this.idempotency.begin(scope, requestHash);
    try {
      const outcome = await unit.run(() => this.idempotency.begin(scope, requestHash));
      if (outcome.kind === 'replay') await unit.close();
      return outcome;
    } catch (error) {
      await unit.close();
      throw error;
    }
  }

  private settle(
    unit: UnitOfWork | undefined,
    lease: IdempotencyLease,
    response: StoredResponse,
  ): Promise<SettleResult> {
    if (!unit) return this.idempotency.settle(lease, response);
    return unit.run(() => this.idempotency.settle(lease, response, () => unit.commit()));
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

/** The route template (`/payments/process`) rather than the concrete path, so that ids do not split keys. */
function routeOf(request: IdempotentRequest): string {
  return request.routeOptions.url ?? request.url.split('?', 1)[0];
}

function locationOf(response: FastifyReply): string | undefined {
  const location = response.getHeader('location');
  return typeof location === 'string' ? location : undefined;
}

/** Nest sets the route's status before interceptors run, so the stored one stands. */
function replay(stored: StoredResponse, response: FastifyReply): string {
  response.status(stored.statusCode);
  response.header('Content-Type', 'application/json; charset=utf-8');
  response.header(IDEMPOTENT_REPLAYED_HEADER, 'true');
  if (stored.location) response.header('Location', stored.location);
  return stored.body;
}
