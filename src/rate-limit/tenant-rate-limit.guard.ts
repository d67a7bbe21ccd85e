import { ExecutionContext, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import {
  InjectThrottlerOptions,
  InjectThrottlerStorage,
  ThrottlerGuard,
  type ThrottlerLimitDetail,
  type ThrottlerModuleOptions,
  type ThrottlerStorage,
} from '@nestjs/throttler';
import { AuthenticatedRequest, principalOf } from '../auth';
import { CommonException } from '../common/errors/common.exception';
import { AppConfig } from '../config/app-config';

/**
 * Counts per tenant instead of per IP. Applied on the route by `@RateLimit()`, so it runs after the global
 * `JwtAuthGuard` has set the tenant and before `@Idempotent()` claims a key: a 429 leaves no trace.
 */
@Injectable()
export class TenantRateLimitGuard extends ThrottlerGuard {
  constructor(
    @InjectThrottlerOptions() options: ThrottlerModuleOptions,
    @InjectThrottlerStorage() storage: ThrottlerStorage,
    reflector: Reflector,
    private readonly config: AppConfig,
  ) {
    super(options, storage, reflector);
  }

  protected override shouldSkip(): Promise<boolean> {
    return Promise.resolve(!this.config.rateLimit.enabled);
  }

  protected override getTracker(request: AuthenticatedRequest): Promise<string> {
    return Promise.resolve(principalOf(request).tenantId);
  }

  // One counter per tenant and family, whichever route of the family is called.
  protected override generateKey(_context: ExecutionContext, tenantId: string, family: string): string {
    return `rate-limit:${family}:${tenantId}`;
  }

  protected override throwThrottlingException(
    _context: ExecutionContext,
    detail: ThrottlerLimitDetail,
  ): Promise<void> {
    throw CommonException.rateLimited(Math.max(1, Math.ceil(detail.timeToBlockExpire)));
  }
}
