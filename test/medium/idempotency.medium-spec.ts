import { randomUUID } from 'node:crypto';
import type { EntityManager } from 'typeorm';
import { UnitOfWork } from '../../src/database/unit-of-work';
import { IdempotencyModule } from '../../src/idempotency';
import { StoredResponse } from '../../src/idempotency/entities/payment-idempotency.entity';
import { IdempotencyErrorCode } from '../../src/idempotency/idempotency.exception';
import { IdempotencyScope, scopeId } from '../../src/idempotency/idempotency-scope';
import { idempotencyCacheKeys, LockMarker } from '../../src/idempotency/idempotency.cache';
import { IdempotencyLease } from '../../src/idempotency/idempotency-leases';
import { BeginOutcome, IdempotencyService, SettleResult } from '../../src/idempotency/idempotency.service';
import { eventually } from '../support/time';
import { backdateRecord, requestHash } from './support/fixture.builders';
import { createMediumModule, MediumModule } from './support/medium-module';

interface RecordRow {
  status: string;
  request_hash: string;
  lock_token: string | null;
  response: StoredResponse | null;
}

describe(IdempotencyService.name, () => {
  let medium: MediumModule;
  let idempotency: IdempotencyService;
  const leases: IdempotencyLease[] = [];

  beforeAll(async () => {
    medium = await createMediumModule([IdempotencyModule]);
    idempotency = medium.moduleRef.get(IdempotencyService);
  });
  afterEach(() => {
    for (const lease of leases.splice(0)) clearInterval(lease.heartbeat);
  });
  afterAll(() => medium.close());

  const lockTtl = () => medium.config.idempotency.lockTtlSeconds;
  const ttl = () => medium.config.idempotency.ttlSeconds;
  const newScope = (): IdempotencyScope => ({
    tenantId: randomUUID(),
    userId: 'user-medium',
    key: randomUUID(),
  });
  const created = (id: string): StoredResponse => ({
    statusCode: 201,
    body: JSON.stringify({ id }),
    location: `/payments/${id}`,
  });

  const execute = async (scope: IdempotencyScope, hash: string): Promise<IdempotencyLease> => {
    const outcome: BeginOutcome = await idempotency.begin(scope, hash);
    if (outcome.kind !== 'execute') throw new Error(`Expected to execute, got ${outcome.kind}`);
    leases.push(outcome.lease);
    return outcome.lease;
  };
  /** The process holding `lease` dies: it stops renewing, and its lock goes stale once backdated. */
  const dies = async (scope: IdempotencyScope, lease: IdempotencyLease) => {
    clearInterval(lease.heartbeat);
    await backdateRecord(medium.dataSource, scope, 'locked_at', lockTtl() + 1);
  };
  const recordOf = async (scope: IdempotencyScope): Promise<RecordRow | undefined> => {
    const rows: RecordRow[] = await medium.dataSource.query(
      `SELECT status, request_hash, lock_token, response FROM payment_idempotency
       WHERE tenant_id = $1 AND user_id = $2 AND idempotency_key = $3`,
      [scope.tenantId, scope.userId, scope.key],
    );
    return rows[0];
  };
  const redisLockOf = async (scope: IdempotencyScope): Promise<LockMarker | null> => {
    const marker = await medium.redis.get(idempotencyCacheKeys(scopeId(scope)).lock);
    return marker ? (JSON.parse(marker) as LockMarker) : null;
  };
  const redisResponseOf = (scope: IdempotencyScope) =>
    medium.redis.get(idempotencyCacheKeys(scopeId(scope)).response);

  describe('a stale in-progress record', () => {
    it('is taken over, and the dead execution’s lock marker in Redis is replaced', async () => {
      const scope = newScope();
      const hash = requestHash();
      const dead = await execute(scope, hash);
      await dies(scope, dead);
      expect(await redisLockOf(scope)).toMatchObject({ token: dead.token });

      const retry = await execute(scope, hash);

      expect(retry.token).not.toBe(dead.token);
      expect(await recordOf(scope)).toMatchObject({ status: 'in_progress', lock_token: retry.token });
      expect(await redisLockOf(scope)).toMatchObject({ token: retry.token, requestHash: hash });
      // The stalled execution learns it lost the key at its next check.
      dead.confirmedAt = 0;
      await expect(idempotency.ensureHeld(dead)).rejects.toMatchObject({
        code: IdempotencyErrorCode.DUPLICATE_IN_PROGRESS,
      });
      await expect(idempotency.ensureHeld(retry)).resolves.toBeUndefined();
    });

    it('is answered from a response of the same request still cached in Redis, and taken over once it lapses', async () => {
      const scope = newScope();
      const hash = requestHash();
      const first = await execute(scope, hash);
      await idempotency.settle(first, created('first'));
      // Caching the response is not awaited by settle: wait until it is there.
      await eventually(async () => expect(await redisResponseOf(scope)).not.toBeNull());
      // A later execution of the key (after the record expired) died in progress; Redis, whose
      // clock these tests cannot move, still holds the earlier response.
      const deadToken = randomUUID();
      await medium.dataSource.query(
        `UPDATE payment_idempotency SET status = 'in_progress', response = NULL, lock_token = $4,
           locked_at = now() - make_interval(secs => $5)
         WHERE tenant_id = $1 AND user_id = $2 AND idempotency_key = $3`,
        [scope.tenantId, scope.userId, scope.key, deadToken, lockTtl() + 1],
      );

      await expect(idempotency.begin(scope, hash)).resolves.toEqual({
        kind: 'replay',
        response: created('first'),
      });
      expect(await recordOf(scope)).toMatchObject({ status: 'in_progress', lock_token: deadToken });

      await medium.redis.del(idempotencyCacheKeys(scopeId(scope)).response);
      const retry = await execute(scope, hash);
      expect(await recordOf(scope)).toMatchObject({ lock_token: retry.token, response: null });
    });

    it('is taken over by exactly one of many racing retries', async () => {
      const scope = newScope();
      const hash = requestHash();
      await dies(scope, await execute(scope, hash));

      const outcomes = await Promise.allSettled(
        Array.from({ length: 8 }, () => idempotency.begin(scope, hash)),
      );

      const executing = outcomes.flatMap((outcome) =>
        outcome.status === 'fulfilled' && outcome.value.kind === 'execute' ? [outcome.value.lease] : [],
      );
      leases.push(...executing);
      expect(executing).toHaveLength(1);
      const refused = outcomes.filter((outcome) => outcome.status === 'rejected');
      expect(refused).toHaveLength(7);
      for (const outcome of refused) {
        expect(outcome.reason).toMatchObject({ code: IdempotencyErrorCode.DUPLICATE_IN_PROGRESS });
      }
      expect(await recordOf(scope)).toMatchObject({ lock_token: executing[0].token });
    });
  });

  describe('a completed record past its TTL', () => {
    it('is claimed anew, by another request too', async () => {
      const scope = newScope();
      await idempotency.settle(await execute(scope, requestHash()), created('old'));
      await backdateRecord(medium.dataSource, scope, 'expires_at', ttl() + 1);
      // Redis expires its copy on its own clock; here that is done by hand.
      await medium.redis.del(idempotencyCacheKeys(scopeId(scope)).response);
      const other = requestHash();

      const lease = await execute(scope, other);

      expect(await recordOf(scope)).toEqual({
        status: 'in_progress',
        request_hash: other,
        lock_token: lease.token,
        response: null,
      });
    });
  });

  describe('a live lock', () => {
    it('is never taken over: not near its lock TTL, and not once the record itself has expired', async () => {
      const scope = newScope();
      const hash = requestHash();
      const live = await execute(scope, hash);
      await backdateRecord(medium.dataSource, scope, 'locked_at', lockTtl() - 5);

      await expect(idempotency.begin(scope, hash)).rejects.toMatchObject({
        code: IdempotencyErrorCode.DUPLICATE_IN_PROGRESS,
      });
      await backdateRecord(medium.dataSource, scope, 'expires_at', ttl() + 1);
      await expect(idempotency.begin(scope, hash)).rejects.toMatchObject({
        code: IdempotencyErrorCode.DUPLICATE_IN_PROGRESS,
      });
      await expect(idempotency.begin(scope, requestHash())).rejects.toMatchObject({
        code: IdempotencyErrorCode.KEY_MISMATCH,
      });
      expect(await recordOf(scope)).toMatchObject({ status: 'in_progress', lock_token: live.token });
    });
  });

  describe('settle after being taken over', () => {
    it('neither completes, caches nor deletes the new holder’s record', async () => {
      const scope = newScope();
      const hash = requestHash();
      const stalled = await execute(scope, hash);
      await dies(scope, stalled);
      const holder = await execute(scope, hash);

      await idempotency.settle(stalled, created('stalled'));
      await idempotency.settle(stalled, { statusCode: 502, body: '{}' });

      expect(await recordOf(scope)).toMatchObject({
        status: 'in_progress',
        lock_token: holder.token,
        response: null,
      });
      expect(await redisResponseOf(scope)).toBeNull();
      expect(await redisLockOf(scope)).toMatchObject({ token: holder.token });

      await idempotency.settle(holder, created('holder'));
      expect(await recordOf(scope)).toMatchObject({ status: 'completed', response: created('holder') });
      await expect(idempotency.begin(scope, hash)).resolves.toEqual({
        kind: 'replay',
        response: created('holder'),
      });
    });
  });

  describe('a claim in a unit of work, with no one holding the Redis marker', () => {
    beforeAll(() =>
      medium.dataSource.query('CREATE TABLE IF NOT EXISTS idempotency_probe (id uuid PRIMARY KEY)'),
    );
    const probe = (id: string) => (manager: EntityManager) =>
      manager.query<unknown>('INSERT INTO idempotency_probe (id) VALUES ($1)', [id]);
    const probed = async (id: string): Promise<number> => {
      const rows: unknown[] = await medium.dataSource.query(
        'SELECT id FROM idempotency_probe WHERE id = $1',
        [id],
      );
      return rows.length;
    };
    /** A request's unit: begins, runs the handler's one write with COMMIT, settles. */
    const inUnit = async (
      scope: IdempotencyScope,
      hash: string,
      write: string,
      seen: { recordBeforeWrite?: RecordRow },
    ): Promise<{ settled: SettleResult; writeFailed: boolean }> => {
      const unit = new UnitOfWork(medium.dataSource);
      try {
        return await unit.run(async () => {
          const lease = await execute(scope, hash);
          seen.recordBeforeWrite = await recordOf(scope);
          const writeFailed = await unit.commit(probe(write)).then(
            () => false,
            () => true,
          );
          const settled = await idempotency.settle(lease, created(write), () => unit.commit());
          return { settled, writeFailed };
        });
      } finally {
        await unit.close();
      }
    };

    it('is sent with the first statement and commits with it', async () => {
      const scope = newScope();
      const write = randomUUID();
      const seen: { recordBeforeWrite?: RecordRow } = {};

      const { settled, writeFailed } = await inUnit(scope, requestHash(), write, seen);

      // Not sent before the handler's first statement: nothing to see until then.
      expect(seen.recordBeforeWrite).toBeUndefined();
      expect(writeFailed).toBe(false);
      expect(settled).toEqual({ kind: 'settled' });
      expect(await probed(write)).toBe(1);
      expect(await recordOf(scope)).toMatchObject({ status: 'completed', response: created(write) });
    });

    it('claiming nothing, lets nothing of the handler commit, and answers from the record', async () => {
      const scope = newScope();
      const hash = requestHash();
      await idempotency.settle(await execute(scope, hash), created('first'));
      // Redis lost the key (flushed, failed over): the marker is free, PostgreSQL still has it.
      const redisLosesIt = async () => {
        await eventually(async () => expect(await redisResponseOf(scope)).not.toBeNull());
        await medium.redis.del(idempotencyCacheKeys(scopeId(scope)).response);
      };

      const [again, other] = [randomUUID(), randomUUID()];
      await redisLosesIt();
      const replayed = await inUnit(scope, hash, again, {});
      // The replay cached the response again.
      await redisLosesIt();
      const mismatched = await inUnit(scope, requestHash(), other, {});

      expect(replayed.writeFailed).toBe(true);
      expect(replayed.settled).toEqual({
        kind: 'not-claimed',
        answer: { kind: 'replay', response: created('first') },
      });
      expect(mismatched.settled).toMatchObject({
        kind: 'not-claimed',
        answer: { code: IdempotencyErrorCode.KEY_MISMATCH },
      });
      expect(await probed(again)).toBe(0);
      expect(await probed(other)).toBe(0);
      expect(await recordOf(scope)).toMatchObject({ status: 'completed', response: created('first') });
      expect(await redisLockOf(scope)).toBeNull();
    });
  });

  describe('deleteExpired', () => {
    const insertRecord = async (
      scope: IdempotencyScope,
      state: { status: 'completed' | 'in_progress'; expiresInSeconds: number; lockedSecondsAgo?: number },
    ) => {
      await medium.dataSource.query(
        `INSERT INTO payment_idempotency
           (tenant_id, user_id, idempotency_key, request_hash, status, response, locked_at, lock_token, expires_at)
         VALUES ($1, $2, $3, $4, $5::varchar, $6::jsonb,
                 CASE WHEN $7::float8 IS NULL THEN NULL ELSE now() - make_interval(secs => $7::float8) END,
                 CASE WHEN $5::varchar = 'in_progress' THEN gen_random_uuid() END,
                 now() + make_interval(secs => $8))`,
        [
          scope.tenantId,
          scope.userId,
          scope.key,
          requestHash(),
          state.status,
          state.status === 'completed' ? JSON.stringify(created('x')) : null,
          state.lockedSecondsAgo ?? null,
          state.expiresInSeconds,
        ],
      );
      return scope;
    };

    it('removes expired completed records and expired ones whose lock is stale, never a live one', async () => {
      await idempotency.deleteExpired(100_000);
      const expiredCompleted = await insertRecord(newScope(), { status: 'completed', expiresInSeconds: -10 });
      const liveCompleted = await insertRecord(newScope(), { status: 'completed', expiresInSeconds: 3600 });
      const expiredDead = await insertRecord(newScope(), {
        status: 'in_progress',
        expiresInSeconds: -10,
        lockedSecondsAgo: lockTtl() + 1,
      });
      const expiredButRunning = await insertRecord(newScope(), {
        status: 'in_progress',
        expiresInSeconds: -10,
        lockedSecondsAgo: 1,
      });
      const unexpiredDead = await insertRecord(newScope(), {
        status: 'in_progress',
        expiresInSeconds: 3600,
        lockedSecondsAgo: lockTtl() + 1,
      });

      await expect(idempotency.deleteExpired()).resolves.toBe(2);

      expect(await recordOf(expiredCompleted)).toBeUndefined();
      expect(await recordOf(expiredDead)).toBeUndefined();
      expect(await recordOf(liveCompleted)).toBeDefined();
      expect(await recordOf(expiredButRunning)).toBeDefined();
      expect(await recordOf(unexpiredDead)).toBeDefined();
    });

    it('deletes at most the batch size it is given', async () => {
      await idempotency.deleteExpired(100_000);
      await insertRecord(newScope(), { status: 'completed', expiresInSeconds: -10 });
      await insertRecord(newScope(), { status: 'completed', expiresInSeconds: -10 });

      await expect(idempotency.deleteExpired(1)).resolves.toBe(1);
      await expect(idempotency.deleteExpired(1)).resolves.toBe(1);
      await expect(idempotency.deleteExpired(1)).resolves.toBe(0);
    });
  });
});
