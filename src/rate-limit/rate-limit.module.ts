import { Global, Module } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { getOptionsToken, getStorageToken, ThrottlerModuleOptions } from '@nestjs/throttler';
import { AppConfig } from '../config/app-config';
import { RATE_LIMIT_FAMILY, RateLimitFamily } from './rate-limit-family';
import { rateLimitMetricProviders, RateLimitMetrics } from './rate-limit.metrics';
import { RedisThrottlerStorage } from './redis-throttler.storage';

function throttlerOptions(config: AppConfig, reflector: Reflector): ThrottlerModuleOptions {
  const families = Object.keys(config.rateLimit.limits) as RateLimitFamily[];
  return {
    // Only Retry-After is part of the contract.
    setHeaders: false,
    throttlers: families.map((family) => ({
      name: family,
      limit: config.rateLimit.limits[family],
      ttl: config.rateLimit.windowSeconds * 1000,
      skipIf: (context) => reflector.get<RateLimitFamily>(RATE_LIMIT_FAMILY, context.getHandler()) !== family,
    })),
  };
}

/** Global because `@RateLimit()` instantiates its guard in each controller's module. */
@Global()
@Module({
  providers: [
    ...rateLimitMetricProviders,
    RateLimitMetrics,
    { provide: getStorageToken(), useClass: RedisThrottlerStorage },
    { provide: getOptionsToken(), inject: [AppConfig, Reflector], useFactory: throttlerOptions },
  ],
  exports: [getStorageToken(), getOptionsToken()],
})
export class RateLimitModule {}
