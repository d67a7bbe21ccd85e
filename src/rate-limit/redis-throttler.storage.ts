import { Inject, Injectable, Logger } from '@nestjs/common';
import type { ThrottlerStorage } from '@nestjs/throttler';
import Redis from 'ioredis';
import { REDIS_CLIENT } from '../redis/redis.constants';
import { defineScript, RedisScript } from '../redis/redis-script';
import type { RateLimitFamily } from './rate-limit-family';
import { RateLimitMetrics } from './rate-limit.metrics';

// A counter found without expiry gets one, so no tenant is locked out for good.
const COUNT_IN_WINDOW = `
local hits = redis.call('INCR', KEYS[1])
local remaining = redis.call('PTTL', KEYS[1])
if remaining < 0 then
  redis.call('PEXPIRE', KEYS[1], ARGV[1])
  remaining = tonumber(ARGV[1])
end
return {hits, remaining}`;

type ThrottlerStorageRecord = Awaited<ReturnType<ThrottlerStorage['increment']>>;

/** At most one warning per interval while Redis is down, however many requests pass unchecked. */
const WARNING_INTERVAL_MS = 60_000;

const UNCHECKED: ThrottlerStorageRecord = {
  totalHits: 0,
  timeToExpire: 0,
  isBlocked: false,
  timeToBlockExpire: 0,
};

/**
 * Not `@nest-lab/throttler-storage-redis`, which declares peers up to Nest 11 only and opens its own
 * connection. During a Redis outage the limiter fails open; idempotency still holds through PostgreSQL.
 */
@Injectable()
export class RedisThrottlerStorage implements ThrottlerStorage {
  private readonly logger = new Logger(RedisThrottlerStorage.name);
  private lastWarningAt = Number.NEGATIVE_INFINITY;
  private uncheckedSinceWarning = 0;
  private readonly countInWindow: RedisScript<[number, number]>;

  constructor(
    @Inject(REDIS_CLIENT) redis: Redis,
    private readonly metrics: RateLimitMetrics,
  ) {
    this.countInWindow = defineScript(redis, 'rateLimitCountInWindow', 1, COUNT_IN_WINDOW);
  }

  /** A request over the limit stays blocked until its window ends. */
  async increment(
    key: string,
    ttl: number,
    limit: number,
    _blockDuration: number,
    throttlerName: string,
  ): Promise<ThrottlerStorageRecord> {
    let hits: number;
    let remainingMs: number;
    try {
      [hits, remainingMs] = await this.countInWindow(key, ttl);
    } catch (error) {
      this.failOpen(throttlerName as RateLimitFamily, error);
      return UNCHECKED;
    }
    const secondsLeft = Math.max(1, Math.ceil(remainingMs / 1000));
    const isBlocked = hits > limit;
    return {
      totalHits: hits,
      timeToExpire: secondsLeft,
      isBlocked,
      timeToBlockExpire: isBlocked ? secondsLeft : 0,
    };
  }

  private failOpen(family: RateLimitFamily, error: unknown): void {
    this.metrics.fallback(family);
    this.uncheckedSinceWarning += 1;
    const now = Date.now();
    if (now - this.lastWarningAt < WARNING_INTERVAL_MS) return;
    this.logger.warn(
      {
        uncheckedRequests: this.uncheckedSinceWarning,
        err: { message: error instanceof Error ? error.message : String(error) },
      },
      'Redis unavailable: rate limits are not enforced until it is back',
    );
    this.lastWarningAt = now;
    this.uncheckedSinceWarning = 0;
  }
}
