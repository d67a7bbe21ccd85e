import { Inject, Injectable, Logger } from '@nestjs/common';
import Redis from 'ioredis';
import { REDIS_CLIENT } from '../redis/redis.constants';
import { defineScript, RedisScript } from '../redis/redis-script';
import { StoredResponse } from './entities/payment-idempotency.entity';
import { IdempotencyMetrics } from './idempotency.metrics';

export interface LockMarker {
  statusCode: 102;
  requestHash: string;
  token: string;
}

export interface CachedResponse extends StoredResponse {
  requestHash: string;
}

export type LookupResult =
  | { cached: CachedResponse }
  | { acquired: true }
  | { acquired: false; holder: LockMarker | undefined }
  | { unavailable: true };

// Returns the cached response, else takes the lock, else returns the holder's marker, in one round trip.
const LOOKUP_OR_LOCK = `
local cached = redis.call('GET', KEYS[2])
if cached then return {'cached', cached} end
if redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2], 'NX') then return {'acquired'} end
return {'held', redis.call('GET', KEYS[1]) or ''}`;
const RENEW_IF_OWNER = `
local current = redis.call('GET', KEYS[1])
if current and cjson.decode(current).token == ARGV[1] then
  return redis.call('PEXPIRE', KEYS[1], ARGV[2])
end
return 0`;
// Caches a response and drops the lock marker if it is the caller's (any marker, if the caller holds none).
const STORE_RESPONSE = `
redis.call('SET', KEYS[2], ARGV[1], 'PX', ARGV[2])
local current = redis.call('GET', KEYS[1])
if current and (ARGV[3] == '' or cjson.decode(current).token == ARGV[3]) then
  redis.call('DEL', KEYS[1])
end
return 1`;
const DELETE_IF_OWNER = `
local current = redis.call('GET', KEYS[1])
if current and cjson.decode(current).token == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0`;

/**
 * A cache of completed responses and a fast `SET NX PX` lock in front of PostgreSQL. It is never the only
 * guard: Redis failures are swallowed and counted, and the caller carries on with PostgreSQL alone.
 */
@Injectable()
export class IdempotencyCache {
  private readonly logger = new Logger(IdempotencyCache.name);
  private readonly lookupOrLockScript: RedisScript<[string, string | undefined]>;
  private readonly renewIfOwner: RedisScript<number>;
  private readonly storeResponseScript: RedisScript<number>;
  private readonly deleteIfOwner: RedisScript<number>;

  constructor(
    @Inject(REDIS_CLIENT) private readonly redis: Redis,
    private readonly metrics: IdempotencyMetrics,
  ) {
    this.lookupOrLockScript = defineScript(redis, 'idempotencyLookupOrLock', 2, LOOKUP_OR_LOCK);
    this.renewIfOwner = defineScript(redis, 'idempotencyRenewIfOwner', 1, RENEW_IF_OWNER);
    this.storeResponseScript = defineScript(redis, 'idempotencyStoreResponse', 2, STORE_RESPONSE);
    this.deleteIfOwner = defineScript(redis, 'idempotencyDeleteIfOwner', 1, DELETE_IF_OWNER);
  }

  async lookupOrLock(scopeId: string, marker: LockMarker, ttlMs: number): Promise<LookupResult> {
    const reply = await this.attempt('lookup_or_lock', async () => {
      const [state, payload] = await this.lookupOrLockScript(
        lockKey(scopeId),
        responseKey(scopeId),
        JSON.stringify(marker),
        ttlMs,
      );
      return { state, payload };
    });
    if (!reply) return { unavailable: true };
    if (reply.state === 'cached' && reply.payload)
      return { cached: JSON.parse(reply.payload) as CachedResponse };
    if (reply.state === 'acquired') return { acquired: true };
    // A holder that finished between the SET and the GET leaves no marker; PostgreSQL decides.
    return { acquired: false, holder: reply.payload ? (JSON.parse(reply.payload) as LockMarker) : undefined };
  }

  async replaceLock(scopeId: string, marker: LockMarker, ttlMs: number): Promise<void> {
    await this.attempt('replace_lock', () =>
      this.redis.set(lockKey(scopeId), JSON.stringify(marker), 'PX', ttlMs),
    );
  }

  async renew(scopeId: string, token: string, ttlMs: number): Promise<void> {
    await this.attempt('renew', () => this.renewIfOwner(lockKey(scopeId), token, ttlMs));
  }

  async release(scopeId: string, token: string): Promise<void> {
    await this.attempt('release', () => this.deleteIfOwner(lockKey(scopeId), token));
  }

  /** `token` is undefined when back-filling from PostgreSQL; any marker left is then stale. */
  async storeResponse(
    scopeId: string,
    token: string | undefined,
    response: CachedResponse,
    ttlMs: number,
  ): Promise<void> {
    await this.attempt('store_response', () =>
      this.storeResponseScript(
        lockKey(scopeId),
        responseKey(scopeId),
        JSON.stringify(response),
        ttlMs,
        token ?? '',
      ),
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

export function idempotencyCacheKeys(scopeId: string): { lock: string; response: string } {
  return { lock: `idempotency:lock:${scopeId}`, response: `idempotency:response:${scopeId}` };
}

function lockKey(scopeId: string): string {
  return idempotencyCacheKeys(scopeId).lock;
}

function responseKey(scopeId: string): string {
  return idempotencyCacheKeys(scopeId).response;
}
