import { createParamDecorator, ExecutionContext } from '@nestjs/common';
import type { AuthenticatedRequest } from '../auth/principal';
import { IdempotencyScope } from './idempotency-scope';

/** The running idempotent request: its scoped key and its fingerprint. */
export interface IdempotentExecution extends IdempotencyScope {
  readonly requestHash: string;
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
