import { Inject, Injectable, Logger } from '@nestjs/common';
import Redis from 'ioredis';
import { REDIS_CLIENT } from '../redis/redis.constants';
import { StoredResponse } from './entities/payment-idempotency.entity';
import { IdempotencyMetrics } from './idempotency.metrics';

/** The in-progress marker (SPEC §4: statusCode 102) a request holds in Redis while it runs. */
export interface LockMarker {
  statusCode: 102;
  requestHash: string;
  token: string;
}

export interface CachedResponse extends StoredResponse {
  requestHash: string;
}

export type MarkerResult =
  { acquired: true } | { acquired: false; holder: LockMarker } | { unavailable: true };

// Only the holder may extend or drop its marker: compare the token, then act, atomically.
const RENEW_IF_OWNER = `
local current = redis.call('GET', KEYS[1])
if current and cjson.decode(current).token == ARGV[1] then
  return redis.call('PEXPIRE', KEYS[1], ARGV[2])
end
return 0`;
const DELETE_IF_OWNER = `
local current = redis.call('GET', KEYS[1])
if current and cjson.decode(current).token == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0`;

/**
 * Redis in front of PostgreSQL: a cache of completed responses (so a replay costs one GET)
 * and a fast `SET NX PX` lock. It is an accelerator and never the only guard: every method
 * swallows Redis failures, counts them, and tells the caller to go on with PostgreSQL alone.
 */
@Injectable()
export class IdempotencyCache {
  private readonly logger = new Logger(IdempotencyCache.name);

  constructor(
    @Inject(REDIS_CLIENT) private readonly redis: Redis,
    private readonly metrics: IdempotencyMetrics,
  ) {}

  async getResponse(scopeId: string): Promise<CachedResponse | undefined> {
    const raw = await this.attempt('get_response', () => this.redis.get(responseKey(scopeId)));
    return raw ? (JSON.parse(raw) as CachedResponse) : undefined;
  }

  async acquire(scopeId: string, marker: LockMarker, ttlMs: number): Promise<MarkerResult> {
    const result = await this.attempt('acquire', async () => {
      const key = lockKey(scopeId);
      const set = await this.redis.set(key, JSON.stringify(marker), 'PX', ttlMs, 'NX');
      if (set === 'OK') return { acquired: true } as const;
      const holder = await this.redis.get(key);
      // The holder finished between our SET and GET: let PostgreSQL decide.
      return holder ? ({ acquired: false, holder: JSON.parse(holder) as LockMarker } as const) : undefined;
    });
    return result ?? { unavailable: true };
  }

  async renew(scopeId: string, token: string, ttlMs: number): Promise<void> {
    await this.attempt('renew', () => this.redis.eval(RENEW_IF_OWNER, 1, lockKey(scopeId), token, ttlMs));
  }

  async release(scopeId: string, token: string): Promise<void> {
    await this.attempt('release', () => this.redis.eval(DELETE_IF_OWNER, 1, lockKey(scopeId), token));
  }

  /** Caches a completed response and drops the lock marker in one round trip. */
  async storeResponse(scopeId: string, response: CachedResponse, ttlMs: number): Promise<void> {
    await this.attempt('store_response', () =>
      this.redis
        .multi()
        .set(responseKey(scopeId), JSON.stringify(response), 'PX', ttlMs)
        .del(lockKey(scopeId))
        .exec(),
    );
  }

  private async attempt<T>(operation: string, run: () => Promise<T>): Promise<T | undefined> {
    try {
      return await run();
    } catch (error) {
      this.metrics.redisFallback(operation);
      this.logger.debug({ operation, err: error }, 'Redis fallback');
      return undefined;
    }
  }
}

function lockKey(scopeId: string): string {
  return `idempotency:lock:${scopeId}`;
}

function responseKey(scopeId: string): string {
  return `idempotency:response:${scopeId}`;
}
