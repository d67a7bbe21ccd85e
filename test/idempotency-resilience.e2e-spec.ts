import { randomUUID } from 'node:crypto';
import request from 'supertest';
import { DataSource } from 'typeorm';
import { IdempotencyService } from '../src/idempotency/idempotency.service';
import { fingerprintRequest } from '../src/idempotency/idempotency-scope';
import { IDEMPOTENCY_REDIS_FALLBACKS, IDEMPOTENCY_REQUESTS } from '../src/idempotency/idempotency.metrics';
import { charge, CHARGES, createProbeApp, ProbeApp } from './support/idempotency-app';
import { DisposableRedis } from './support/redis-server';
import { readCounter } from './support/metrics';
import { TcpProxy } from './support/tcp-proxy';
import { TestClient } from './support/test-client';
import { expireIdempotencyRecord, secondsToExpiry, staleLock } from './support/time-travel';
import { eventually, sleep } from './support/time';

/** 30 concurrent requests with one key, spread over the given apps: returns the statuses. */
async function race(
  apps: ProbeApp[],
  body: object,
  count = 30,
): Promise<{ statuses: number[]; bodies: Set<string> }> {
  const caller = new TestClient();
  const key = randomUUID();
  const responses = await Promise.all(
    Array.from({ length: count }, (_, i) => charge(apps[i % apps.length], caller, key, body)),
  );
  const created = responses.filter((response) => response.status === 201);
  return {
    statuses: responses.map((response) => response.status),
    bodies: new Set(created.map((r) => r.text)),
  };
}

const totalExecutions = (apps: ProbeApp[]) => apps.reduce((sum, app) => sum + app.executions.count, 0);

describe('Idempotency across instances and outages', () => {
  describe('two instances sharing PostgreSQL and Redis', () => {
    let apps: ProbeApp[];

    beforeAll(async () => {
      apps = [await createProbeApp(), await createProbeApp()];
    });
    afterAll(async () => {
      for (const app of apps) await app.close();
    });

    it('executes once for 30 concurrent same-key requests spread over both', async () => {
      const before = totalExecutions(apps);
      const { statuses, bodies } = await race(apps, { amount: 30, delayMs: 300 });
      expect(totalExecutions(apps) - before).toBe(1);
      expect(statuses.every((status) => status === 201 || status === 409)).toBe(true);
      expect(bodies.size).toBe(1);
    });

    it('replays on one instance what the other executed', async () => {
      const caller = new TestClient();
      const key = randomUUID();
      const first = await charge(apps[0], caller, key, { amount: 31 });
      const replay = await charge(apps[1], caller, key, { amount: 31 });
      expect(replay.headers['idempotent-replayed']).toBe('true');
      expect(replay.text).toBe(first.text);
    });
  });

  describe('with Redis stopped', () => {
    let redis: DisposableRedis;
    let apps: ProbeApp[];

    beforeAll(async () => {
      redis = await DisposableRedis.start();
      apps = [await createProbeApp({ REDIS_URL: redis.url }), await createProbeApp({ REDIS_URL: redis.url })];
      // Warm the cache path while Redis is up, then really stop it.
      expect((await charge(apps[0], new TestClient(), randomUUID(), { amount: 1 })).status).toBe(201);
      await redis.stop();
      await eventually(async () => {
        const ready = await request(apps[0].http).get('/health/ready');
        expect(ready.body.details.redis.status).toBe('degraded');
      });
    });
    afterAll(async () => {
      for (const app of apps) await app.close();
      await redis.stop();
    });

    it('still executes, replays and rejects mismatches through PostgreSQL alone', async () => {
      const caller = new TestClient();
      const key = randomUUID();
      const before = totalExecutions(apps);
      const first = await charge(apps[0], caller, key, { amount: 50 });
      expect(first.status).toBe(201);
      const replay = await charge(apps[1], caller, key, { amount: 50 });
      expect(replay.status).toBe(201);
      expect(replay.headers['idempotent-replayed']).toBe('true');
      expect(replay.text).toBe(first.text);
      const mismatch = await charge(apps[0], caller, key, { amount: 51 });
      expect(mismatch.status).toBe(422);
      expect(totalExecutions(apps) - before).toBe(1);
    });

    it('still executes once for 30 concurrent same-key requests over two instances', async () => {
      const before = totalExecutions(apps);
      const { statuses, bodies } = await race(apps, { amount: 60, delayMs: 300 });
      expect(totalExecutions(apps) - before).toBe(1);
      expect(statuses.every((status) => status === 201 || status === 409)).toBe(true);
      expect(bodies.size).toBe(1);
    });

    it('counts the fallbacks in /metrics and never answers 5xx for Redis', async () => {
      const series = { operation: 'lookup_or_lock' };
      const before = await readCounter(apps[0].http, IDEMPOTENCY_REDIS_FALLBACKS, series);
      const caller = new TestClient();
      const key = randomUUID();
      expect((await charge(apps[0], caller, key, { amount: 55 })).status).toBe(201);
      expect((await charge(apps[0], caller, key, { amount: 55 })).status).toBe(201);
      expect((await charge(apps[0], caller, key, { amount: 56 })).status).toBe(422);
      expect((await charge(apps[0], caller, randomUUID(), { amount: 57, fail: 500 })).status).toBe(500);
      // One skipped look-up per request, each answered through PostgreSQL alone.
      expect((await readCounter(apps[0].http, IDEMPOTENCY_REDIS_FALLBACKS, series)) - before).toBe(4);
    });

    it('uses Redis again once it is back', async () => {
      await redis.start();
      await eventually(async () => {
        const ready = await request(apps[0].http).get('/health/ready');
        expect(ready.body.details.redis.status).toBe('up');
      });
      const caller = new TestClient();
      const key = randomUUID();
      await charge(apps[0], caller, key, { amount: 70 });
      const replay = await charge(apps[1], caller, key, { amount: 70 });
      expect(replay.headers['idempotent-replayed']).toBe('true');
    });
  });

  describe('with PostgreSQL unreachable', () => {
    let proxy: TcpProxy;
    let probe: ProbeApp;

    beforeAll(async () => {
      proxy = await TcpProxy.start(Number(new URL(process.env.TEST_DATABASE_URL ?? '').port || 5432));
      const url = new URL(process.env.TEST_DATABASE_URL ?? '');
      url.port = String(proxy.port);
      probe = await createProbeApp({ DATABASE_URL: url.toString() });
    });
    afterAll(async () => {
      await proxy.stop();
      await probe.close();
    });

    it('answers 503 SERVICE_UNAVAILABLE with Retry-After and never runs the handler unguarded', async () => {
      const caller = new TestClient();
      expect((await charge(probe, caller, randomUUID(), { amount: 1 })).status).toBe(201);
      await proxy.stop();
      const before = probe.executions.count;
      const response = await charge(probe, caller, randomUUID(), { amount: 2 });
      expect(response.status).toBe(503);
      expect(response.body.code).toBe('SERVICE_UNAVAILABLE');
      expect(Number(response.headers['retry-after'])).toBeGreaterThan(0);
      expect(probe.executions.count).toBe(before);

      const ready = await request(probe.http).get('/health/ready');
      expect(ready.status).toBe(503);
      expect(ready.body).toMatchObject({
        code: 'SERVICE_UNAVAILABLE',
        details: { status: 'error', details: { database: { status: 'down' }, redis: { status: 'up' } } },
      });
    });

    it('answers 503 within the query timeout when PostgreSQL hangs instead of refusing', async () => {
      const hung = await TcpProxy.start(Number(new URL(process.env.TEST_DATABASE_URL ?? '').port || 5432));
      const url = new URL(process.env.TEST_DATABASE_URL ?? '');
      url.port = String(hung.port);
      const app = await createProbeApp({ DATABASE_URL: url.toString(), DATABASE_QUERY_TIMEOUT_MS: '1000' });
      try {
        hung.pause();
        const started = Date.now();
        const response = await charge(app, new TestClient(), randomUUID(), { amount: 4 });
        expect(response.status).toBe(503);
        expect(response.body.code).toBe('SERVICE_UNAVAILABLE');
        expect(Date.now() - started).toBeLessThan(8000);
        expect(app.executions.count).toBe(0);
      } finally {
        hung.resume();
        await app.close();
        await hung.stop();
      }
    });

    it('serves again once PostgreSQL is back', async () => {
      await proxy.start();
      await eventually(async () => {
        const response = await charge(probe, new TestClient(), randomUUID(), { amount: 3 });
        expect(response.status).toBe(201);
      }, 10000);
    });
  });

  describe('locks: crash recovery', () => {
    // The default lock TTL (60 s): only a lock made stale on purpose can be taken over.
    let probe: ProbeApp;

    beforeAll(async () => {
      probe = await createProbeApp();
    });
    afterAll(() => probe.close());

    /** What a process that died mid-request leaves behind: an in-progress row nobody renews. */
    async function leaveInProgress(caller: { tenantId: string; userId: string }, key: string, body: object) {
      await probe.app.get(DataSource).query(
        `INSERT INTO payment_idempotency
           (tenant_id, user_id, idempotency_key, request_hash, status, locked_at, lock_token, expires_at)
         VALUES ($1, $2, $3, $4, 'in_progress', now(), $5, now() + interval '1 day')`,
        [caller.tenantId, caller.userId, key, fingerprintRequest('POST', CHARGES, body), randomUUID()],
      );
    }

    it('answers 409 for a dead request’s key until its lock expires, then takes it over and runs once', async () => {
      const caller = new TestClient();
      const key = randomUUID();
      const body = { amount: 80 };
      await leaveInProgress(caller, key, body);
      const before = probe.executions.count;
      const takeoversBefore = await readCounter(probe.http, IDEMPOTENCY_REQUESTS, { outcome: 'takeover' });

      const early = await charge(probe, caller, key, body);
      expect(early.status).toBe(409);

      await staleLock(probe, { tenantId: caller.tenantId, userId: caller.userId, key });
      const takeover = await charge(probe, caller, key, body);
      expect(takeover.status).toBe(201);
      expect(takeover.headers['idempotent-replayed']).toBeUndefined();
      const replay = await charge(probe, caller, key, body);
      expect(replay.headers['idempotent-replayed']).toBe('true');
      expect(probe.executions.count - before).toBe(1);
      expect(
        (await readCounter(probe.http, IDEMPOTENCY_REQUESTS, { outcome: 'takeover' })) - takeoversBefore,
      ).toBe(1);
    });

    it('does not let a takeover change the request: a dead key with another body stays a mismatch', async () => {
      const caller = new TestClient();
      const key = randomUUID();
      await leaveInProgress(caller, key, { amount: 81 });
      await staleLock(probe, { tenantId: caller.tenantId, userId: caller.userId, key });
      const before = probe.executions.count;
      const response = await charge(probe, caller, key, { amount: 82 });
      expect(response.status).toBe(422);
      expect(response.body.code).toBe('IDEMPOTENCY_KEY_MISMATCH');
      expect(probe.executions.count).toBe(before);
    });
  });

  describe('locks: slow live requests', () => {
    let probe: ProbeApp;

    beforeAll(async () => {
      probe = await createProbeApp({ IDEMPOTENCY_LOCK_TTL_SECONDS: '1' });
    });
    afterAll(() => probe.close());

    it('never takes over a live request that runs past the lock TTL: it renews its lock', async () => {
      const caller = new TestClient();
      const key = randomUUID();
      const body = { amount: 90, delayMs: 2500 };
      const before = probe.executions.count;
      const slow = charge(probe, caller, key, body).then((response) => response);
      await probe.executions.whenStarted(before + 1);

      // Real time, on purpose: what is under test is the heartbeat renewing the lock while the
      // clock runs past the lock TTL (1 s here), more than once. Moving timestamps by hand
      // would bypass exactly that.
      for (const wait of [1300, 700]) {
        await sleep(wait);
        const duplicate = await charge(probe, caller, key, body);
        expect(duplicate.status).toBe(409);
      }
      expect((await slow).status).toBe(201);
      expect(probe.executions.count - before).toBe(1);
    });
  });

  describe('expiry', () => {
    let probe: ProbeApp;

    beforeAll(async () => {
      probe = await createProbeApp({
        IDEMPOTENCY_TTL_SECONDS: '3600',
        IDEMPOTENCY_CLIENT_ERROR_TTL_SECONDS: '60',
      });
    });
    afterAll(() => probe.close());

    const scopeOf = (caller: { tenantId: string; userId: string }, key: string) => ({
      tenantId: caller.tenantId,
      userId: caller.userId,
      key,
    });

    it('forgets a key after its TTL: the same key then counts as new, even with another body', async () => {
      const caller = new TestClient();
      const key = randomUUID();
      const first = await charge(probe, caller, key, { amount: 1 });
      expect((await charge(probe, caller, key, { amount: 1 })).headers['idempotent-replayed']).toBe('true');
      const ttl = await secondsToExpiry(probe, scopeOf(caller, key));
      expect(ttl).toBeGreaterThan(3500);
      expect(ttl).toBeLessThanOrEqual(3600);

      await expireIdempotencyRecord(probe, scopeOf(caller, key));
      const again = await charge(probe, caller, key, { amount: 2 });
      expect(again.status).toBe(201);
      expect(again.headers['idempotent-replayed']).toBeUndefined();
      expect(again.body.id).not.toBe(first.body.id);
    });

    it('never lets a live request’s key expire under it, even when it outlives the TTL', async () => {
      const caller = new TestClient();
      const key = randomUUID();
      const body = { amount: 5, delayMs: 3000 };
      const before = probe.executions.count;
      const slow = charge(probe, caller, key, body).then((response) => response);
      await probe.executions.whenStarted(before + 1);
      // Its TTL runs out (and Redis loses its marker) while it is still running: PostgreSQL
      // alone must keep the key held.
      await expireIdempotencyRecord(probe, scopeOf(caller, key));
      expect((await charge(probe, caller, key, { amount: 6 })).status).toBe(422);
      expect((await charge(probe, caller, key, body)).status).toBe(409);
      expect((await slow).status).toBe(201);
      expect(probe.executions.count - before).toBe(1);
    });

    it('forgets a stored 4xx after the client-error TTL', async () => {
      const caller = new TestClient();
      const key = randomUUID();
      expect((await charge(probe, caller, key, { amount: 1, fail: 402 })).status).toBe(402);
      const ttl = await secondsToExpiry(probe, scopeOf(caller, key));
      expect(ttl).toBeGreaterThan(0);
      expect(ttl).toBeLessThanOrEqual(60);
      expect(
        (await charge(probe, caller, key, { amount: 1, fail: 402 })).headers['idempotent-replayed'],
      ).toBe('true');

      await expireIdempotencyRecord(probe, scopeOf(caller, key));
      expect((await charge(probe, caller, key, { amount: 1 })).status).toBe(201);
    });

    it('finds expired records for the cleanup job', async () => {
      const caller = new TestClient();
      const key = randomUUID();
      await charge(probe, caller, key, { amount: 3 });
      await expireIdempotencyRecord(probe, scopeOf(caller, key));
      const deleted = await probe.app.get(IdempotencyService).deleteExpired();
      expect(deleted).toBeGreaterThan(0);
      await expect(secondsToExpiry(probe, scopeOf(caller, key))).rejects.toThrow('no idempotency record');
      const remaining: Array<{ count: string }> = await probe.app
        .get(DataSource)
        .query('SELECT count(*) FROM payment_idempotency WHERE expires_at <= now()');
      expect(Number(remaining[0].count)).toBe(0);
    });
  });
});
