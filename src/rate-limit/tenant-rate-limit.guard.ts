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

/** Per tenant, not per IP. Runs before `@Idempotent()` claims a key, so a 429 leaves no trace. */
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
