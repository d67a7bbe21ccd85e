import { createParamDecorator, ExecutionContext } from '@nestjs/common';
import type { AuthenticatedRequest } from '../auth';
import { IdempotencyErrorCode, IdempotencyException } from './idempotency.exception';
import { IdempotencyScope } from './idempotency-scope';

/** The running idempotent request: its scoped key and its fingerprint. */
export interface IdempotentExecution extends IdempotencyScope {
  readonly requestHash: string;
  /**
   * Resolves while this execution still holds its key; rejects with 409 once a retry has taken
   * it over. Awaited before every step that acts on the world (a Stripe call, settling rows).
   */
  ensureHeld(): Promise<void>;
}

export type IdempotentRequest = AuthenticatedRequest & { idempotentExecution?: IdempotentExecution };

/**
 * The running idempotent request, for deriving Stripe idempotency keys
 * (`stripeIdempotencyKey(execution, 'payment_intents.create')`) and for recognising a
 * re-execution of the same request. Only on `@Idempotent()` routes.
 */
export const CurrentIdempotentExecution = createParamDecorator(
  (_data: unknown, context: ExecutionContext): IdempotentExecution => {
    const execution = context.switchToHttp().getRequest<IdempotentRequest>().idempotentExecution;
    if (!execution) throw new Error('CurrentIdempotentExecution used on a route without @Idempotent()');
    return execution;
  },
);

/**
 * For a handler that finds the row its key created earlier (a re-execution, or the same key
 * back after its record expired): that row must come from the same request. Another request
 * under the key is refused rather than answered with the old row.
 */
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
