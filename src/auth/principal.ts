import { createParamDecorator, ExecutionContext } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';

/** Every read and write is scoped to `tenantId`. */
export interface Principal {
  readonly userId: string;
  readonly tenantId: string;
  readonly roles: readonly string[];
}

export type AuthenticatedRequest = FastifyRequest & { principal?: Principal };

export function principalOf(request: AuthenticatedRequest): Principal {
  if (!request.principal) {
    // Only reachable if a @Public() route asks for a principal: a programming error.
    throw new Error('No authenticated principal on this request');
  }
  return request.principal;
}

export const CurrentPrincipal = createParamDecorator((_data: unknown, context: ExecutionContext): Principal =>
  principalOf(context.switchToHttp().getRequest<AuthenticatedRequest>()),
);
