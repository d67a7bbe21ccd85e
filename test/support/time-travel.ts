import Redis from 'ioredis';
import { DataSource } from 'typeorm';
import { IdempotencyScope, scopeId } from '../../src/idempotency/idempotency-scope';
import { idempotencyCacheKeys } from '../../src/idempotency/idempotency.cache';
import { REDIS_CLIENT } from '../../src/redis/redis.constants';
import type { TestApp } from './test-app';

/*
 * Moves an idempotency record's clock instead of sleeping through a TTL: the service compares
 * against PostgreSQL's now(), so a timestamp pushed into the past is a TTL that has run out.
 * Redis holds copies with their own expiry; those are dropped so PostgreSQL decides, as it does
 * once they have expired for real.
 */

const SCOPE = 'tenant_id = $1 AND user_id = $2 AND idempotency_key = $3';

/** The record's TTL has run out, and the cached response with it. */
export async function expireIdempotencyRecord(testApp: TestApp, scope: IdempotencyScope): Promise<void> {
  await updateOne(
    testApp,
    `UPDATE payment_idempotency SET expires_at = now() - interval '1 second' WHERE ${SCOPE}`,
    scope,
  );
  await redisOf(testApp).del(...Object.values(idempotencyCacheKeys(scopeId(scope))));
}

/** An in-progress record's lock has not been renewed for longer than the lock TTL (its process died). */
export async function staleLock(testApp: TestApp, scope: IdempotencyScope): Promise<void> {
  await updateOne(
    testApp,
    `UPDATE payment_idempotency SET locked_at = now() - make_interval(secs => $4 + 1)
     WHERE ${SCOPE} AND status = 'in_progress'`,
    scope,
    [testApp.config.idempotency.lockTtlSeconds],
  );
  await redisOf(testApp).del(idempotencyCacheKeys(scopeId(scope)).lock);
}

/** Seconds until the record expires, by the database clock. */
export async function secondsToExpiry(testApp: TestApp, scope: IdempotencyScope): Promise<number> {
  const rows: Array<{ seconds: number }> = await testApp.app
    .get(DataSource)
    .query(
      `SELECT extract(epoch FROM expires_at - now())::float8 AS seconds FROM payment_idempotency WHERE ${SCOPE}`,
      [scope.tenantId, scope.userId, scope.key],
    );
  if (rows.length !== 1) throw new Error('no idempotency record for this scope');
  return rows[0].seconds;
}

async function updateOne(
  testApp: TestApp,
  sql: string,
  scope: IdempotencyScope,
  extra: unknown[] = [],
): Promise<void> {
  const [, affected]: [unknown[], number] = await testApp.app
    .get(DataSource)
    .query(sql, [scope.tenantId, scope.userId, scope.key, ...extra]);
  if (affected !== 1) throw new Error(`expected to move one idempotency record, moved ${affected}`);
}

function redisOf(testApp: TestApp): Redis {
  return testApp.app.get<Redis>(REDIS_CLIENT, { strict: false });
}
