import Redis from 'ioredis';
import { idempotencyCacheKeys } from '../src/idempotency/idempotency.cache';
import { scopeId } from '../src/idempotency/idempotency-scope';
import { queuePrefix } from '../src/redis/bull-queue-options';
import { dropDatabase } from '../test/support/databases';
import { BENCH_DATABASE_URL, BENCH_REDIS_URL, REFERENCE_REDIS_PREFIX } from './bench-protocol';
import { TENANT_ID, USER_ID } from './scenarios';

/** Leaves PostgreSQL and the shared Redis as the run found them. */

/** Removes the cache entries of every key the run used. */
export async function forgetKeys(keys: readonly string[]): Promise<void> {
  const redis = new Redis(BENCH_REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 1 });
  await redis.connect();
  try {
    for (let start = 0; start < keys.length; start += 500) {
      const names = keys.slice(start, start + 500).flatMap((key) => {
        const { response, lock } = idempotencyCacheKeys(
          scopeId({ tenantId: TENANT_ID, userId: USER_ID, key }),
        );
        return [response, lock];
      });
      await redis.del(...names);
    }
  } finally {
    redis.disconnect();
  }
}

/** A fresh, empty database for every run: dropped before the service creates it, and after. */
export function dropBenchDatabase(): Promise<void> {
  return dropDatabase(BENCH_DATABASE_URL);
}

/**
 * Removes the webhook jobs the run enqueued: its service processes none (WORKER_MODE=api), and
 * the queue is the bench database's own (`bull:payments_bench_<pid>:…`), so nothing else's is touched.
 */
export function forgetWebhookJobs(): Promise<void> {
  return unlinkMatching(`${queuePrefix(BENCH_DATABASE_URL)}:*`);
}

/** Removes the reference server's locks and cached responses. */
export function forgetReferenceKeys(): Promise<void> {
  return unlinkMatching(`${REFERENCE_REDIS_PREFIX}*`);
}

async function unlinkMatching(pattern: string): Promise<void> {
  const redis = new Redis(BENCH_REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 1 });
  await redis.connect();
  try {
    let cursor = '0';
    do {
      const [next, names] = await redis.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
      if (names.length > 0) await redis.unlink(...names);
      cursor = next;
    } while (cursor !== '0');
  } finally {
    redis.disconnect();
  }
}
