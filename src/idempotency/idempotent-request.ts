import { createParamDecorator, ExecutionContext } from '@nestjs/common';
import type { AuthenticatedRequest } from '../auth/principal';
import { IdempotencyScope } from './idempotency-scope';

export type IdempotentRequest = AuthenticatedRequest & { idempotencyScope?: IdempotencyScope };

/**
 * The scoped key of the running idempotent request, for deriving Stripe idempotency keys
 * (`stripeIdempotencyKey(scope, 'create_payment_intent')`). Only on `@Idempotent()` routes.
 */
export const CurrentIdempotencyScope = createParamDecorator((_data: unknown, context: ExecutionContext) => {
  const scope = context.switchToHttp().getRequest<IdempotentRequest>().idempotencyScope;
  if (!scope) throw new Error('CurrentIdempotencyScope used on a route without @Idempotent()');
  return scope;
});
