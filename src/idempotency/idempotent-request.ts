import { createParamDecorator, ExecutionContext } from '@nestjs/common';
import type { AuthenticatedRequest } from '../auth';
import { IdempotencyErrorCode, IdempotencyException } from './idempotency.exception';
import { IdempotencyScope } from './idempotency-scope';

export interface IdempotentExecution extends IdempotencyScope {
  readonly requestHash: string;
  /**
   * Rejects with 409 once a retry has taken the key over. Awaited before every step with an outside effect (a
   * Stripe call, settling rows).
   */
  ensureHeld(): Promise<void>;
}

export type IdempotentRequest = AuthenticatedRequest & { idempotentExecution?: IdempotentExecution };

export const CurrentIdempotentExecution = createParamDecorator(
  (_data: unknown, context: ExecutionContext): IdempotentExecution => {
    const execution = context.switchToHttp().getRequest<IdempotentRequest>().idempotentExecution;
    if (!execution) throw new Error('CurrentIdempotentExecution used on a route without @Idempotent()');
    return execution;
  },
);

/** A row found under the key must come from the same request; another request is refused. */
export function ensureSameRequest(
  execution: IdempotentExecution,
  recordedHash: string | null,
  noun: string,
): void {
  if (recordedHash === execution.requestHash) return;
  throw new IdempotencyException(
    IdempotencyErrorCode.KEY_MISMATCH,
    `This Idempotency-Key already created another ${noun}; use a new key for a new request`,
  );
}
