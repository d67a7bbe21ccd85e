import { randomUUID } from 'node:crypto';
import Redis from 'ioredis';
import request from 'supertest';
import { DataSource } from 'typeorm';
import { fingerprintRequest, scopeId } from '../src/idempotency/idempotency-scope';
import { idempotencyCacheKeys } from '../src/idempotency/idempotency.cache';
import { IDEMPOTENCY_REQUESTS } from '../src/idempotency/idempotency.metrics';
import { charge, CHARGES, createProbeApp, ProbeApp } from './support/idempotency-app';
import { readCounters } from './support/metrics';
import { TestClient } from './support/test-client';
import { eventually } from './support/time';

describe('Idempotency', () => {
  let probe: ProbeApp;

  beforeAll(async () => {
    probe = await createProbeApp();
  });
  afterAll(() => probe.close());

  const executions = () => probe.executions.count;

  describe('replay', () => {
    it('replays a stored 201 byte-equal, with its Location and Idempotent-Replayed, without re-executing', async () => {
      const caller = new TestClient();
      const key = randomUUID();
      const before = executions();

      const first = await charge(probe, caller, key, { amount: 100 });
      expect(first.status).toBe(201);
      expect(first.headers['idempotent-replayed']).toBeUndefined();
      expect(first.headers.location).toBe(`${CHARGES}/${first.body.id}`);

      const replay = await charge(probe, caller, key, { amount: 100 });
      expect(replay.status).toBe(201);
      expect(replay.text).toBe(first.text);
      expect(replay.headers.location).toBe(first.headers.location);
      expect(replay.headers['idempotent-replayed']).toBe('true');
      expect(replay.headers['content-type']).toBe(first.headers['content-type']);
      expect(executions() - before).toBe(1);
    });

    it('treats a body with its keys in another order as the same request', async () => {
      const caller = new TestClient();
      const key = randomUUID();
      const first = await charge(probe, caller, key, { amount: 5, delayMs: 0 });
      const replay = await charge(probe, caller, key, { delayMs: 0, amount: 5 });
      expect(replay.headers['idempotent-replayed']).toBe('true');
      expect(replay.text).toBe(first.text);
    });

    it('accepts the key as a quoted structured-field string, as the same key', async () => {
      const caller = new TestClient();
      const key = randomUUID();
      const first = await charge(probe, caller, `"${key}"`, { amount: 7 });
      expect(first.status).toBe(201);
      const replay = await charge(probe, caller, key.toUpperCase(), { amount: 7 });
      expect(replay.headers['idempotent-replayed']).toBe('true');
      expect(replay.text).toBe(first.text);
    });

    it('replays from PostgreSQL when the Redis cache has lost the response', async () => {
      const caller = new TestClient();
      const key = randomUUID();
      const first = await charge(probe, caller, key, { amount: 8 });
      const redis = new Redis(probe.config.redisUrl);
      try {
        const cached = idempotencyCacheKeys(
          scopeId({ tenantId: caller.tenantId, userId: caller.userId, key }),
        ).response;
        // The cache is written off the response path: wait for it, so there is something to lose.
        await eventually(async () => expect(await redis.exists(cached)).toBe(1));
        await redis.del(cached);
      } finally {
        redis.disconnect();
      }
      const before = executions();
      const replay = await charge(probe, caller, key, { amount: 8 });
      expect(replay.headers['idempotent-replayed']).toBe('true');
      expect(replay.text).toBe(first.text);
      expect(executions()).toBe(before);
    });
  });

  describe('the key header', () => {
    const caller = new TestClient();

    it('is required: 400 IDEMPOTENCY_KEY_REQUIRED', async () => {
      const before = executions();
      const response = await request(probe.http).post(CHARGES).set(caller.headers).send({ amount: 1 });
      expect(response.status).toBe(400);
      expect(response.body.code).toBe('IDEMPOTENCY_KEY_REQUIRED');
      expect(executions()).toBe(before);
    });

    it.each([['not-a-uuid'], ['6f1c2b8e-3d4a-1f5b-9c6d-7e8f9a0b1c2d']])(
      'must be a UUID v4: %s is 400 IDEMPOTENCY_KEY_INVALID',
      async (key) => {
        const response = await charge(probe, caller, key, { amount: 1 });
        expect(response.status).toBe(400);
        expect(response.body.code).toBe('IDEMPOTENCY_KEY_INVALID');
      },
    );

    it('must be sent once: a repeated header is 400 IDEMPOTENCY_KEY_INVALID', async () => {
      const key = randomUUID();
      const before = executions();
      const response = await charge(probe, caller, [key, key], { amount: 1 });
      expect(response.status).toBe(400);
      expect(response.body.code).toBe('IDEMPOTENCY_KEY_INVALID');
      expect(executions()).toBe(before);
    });

    it('is checked only after authentication, and a 401 leaves the key free', async () => {
      const key = randomUUID();
      const before = executions();
      const unauthenticated = await request(probe.http)
        .post(CHARGES)
        .set('Authorization', 'Bearer nope')
        .set('Idempotency-Key', key)
        .send({ amount: 1 });
      expect(unauthenticated.status).toBe(401);
      const first = await charge(probe, caller, key, { amount: 1 });
      expect(first.status).toBe(201);
      expect(first.headers['idempotent-replayed']).toBeUndefined();
      expect(executions() - before).toBe(1);
    });
  });

  describe('mismatch', () => {
    it('answers 422 IDEMPOTENCY_KEY_MISMATCH for the same key with another body, executing nothing', async () => {
      const caller = new TestClient();
      const key = randomUUID();
      await charge(probe, caller, key, { amount: 100 });
      const before = executions();
      const response = await charge(probe, caller, key, { amount: 101 });
      expect(response.status).toBe(422);
      expect(response.body.code).toBe('IDEMPOTENCY_KEY_MISMATCH');
      expect(executions()).toBe(before);
    });

    it('answers 422 while the first request is still running, and 409 with Retry-After for the same body', async () => {
      const caller = new TestClient();
      const key = randomUUID();
      const before = executions();
      const first = charge(probe, caller, key, { amount: 100, delayMs: 800 }).then((response) => response);
      await probe.executions.whenStarted(before + 1);

      const mismatch = await charge(probe, caller, key, { amount: 999 });
      expect(mismatch.status).toBe(422);
      expect(mismatch.body.code).toBe('IDEMPOTENCY_KEY_MISMATCH');

      const inFlight = await charge(probe, caller, key, { amount: 100, delayMs: 800 });
      expect(inFlight.status).toBe(409);
      expect(inFlight.body.code).toBe('DUPLICATE_IN_PROGRESS');
      expect(Number(inFlight.headers['retry-after'])).toBeGreaterThan(0);
      expect(executions()).toBe(before + 1);

      expect((await first).status).toBe(201);
      const replay = await charge(probe, caller, key, { amount: 100, delayMs: 800 });
      expect(replay.headers['idempotent-replayed']).toBe('true');
    });
  });

  describe('scope', () => {
    it('never shares a key across tenants', async () => {
      const key = randomUUID();
      const a = await charge(probe, new TestClient(), key, { amount: 1 });
      const b = await charge(probe, new TestClient(), key, { amount: 2 });
      expect([a.status, b.status]).toEqual([201, 201]);
      expect(b.headers['idempotent-replayed']).toBeUndefined();
      expect(b.body.id).not.toBe(a.body.id);
      expect(b.body.stripeKey).not.toBe(a.body.stripeKey);
    });

    it('never shares a key across users of one tenant', async () => {
      const key = randomUUID();
      const alice = new TestClient({ userId: 'alice' });
      const bob = new TestClient({ tenantId: alice.tenantId, userId: 'bob' });
      const a = await charge(probe, alice, key, { amount: 1 });
      const b = await charge(probe, bob, key, { amount: 1 });
      expect([a.status, b.status]).toEqual([201, 201]);
      expect(b.headers['idempotent-replayed']).toBeUndefined();
      expect(b.body.id).not.toBe(a.body.id);
    });
  });

  describe('what is stored', () => {
    it.each([402, 422])('stores a %i the handler produced and replays it', async (status) => {
      const caller = new TestClient();
      const key = randomUUID();
      const before = executions();
      const first = await charge(probe, caller, key, { amount: 1, fail: status });
      expect(first.status).toBe(status);
      expect(first.body).toEqual({
        statusCode: status,
        code: `PROBE_${status}`,
        message: expect.any(String),
      });
      const replay = await charge(probe, caller, key, { amount: 1, fail: status });
      expect(replay.status).toBe(status);
      expect(replay.text).toBe(first.text);
      expect(replay.headers['content-type']).toBe(first.headers['content-type']);
      expect(replay.headers['idempotent-replayed']).toBe('true');
      expect(executions() - before).toBe(1);
    });

    it.each([404, 409, 500, 503])('does not store a %i: the same key runs again at once', async (status) => {
      const caller = new TestClient();
      const key = randomUUID();
      const before = executions();
      const first = await charge(probe, caller, key, { amount: 1, fail: status });
      expect(first.status).toBe(status);
      const retry = await charge(probe, caller, key, { amount: 1 });
      expect(retry.status).toBe(201);
      expect(retry.headers['idempotent-replayed']).toBeUndefined();
      expect(executions() - before).toBe(2);
    });

    it('does not store a validation failure: the key is free for a corrected body', async () => {
      const caller = new TestClient();
      const key = randomUUID();
      const before = executions();
      const invalid = await charge(probe, caller, key, { amount: 'ten' });
      expect(invalid.status).toBe(400);
      expect(invalid.body.code).toBe('VALIDATION_FAILED');
      const corrected = await charge(probe, caller, key, { amount: 10 });
      expect(corrected.status).toBe(201);
      expect(executions() - before).toBe(1);
    });

    it('keeps the record of truth in payment_idempotency', async () => {
      const caller = new TestClient();
      const key = randomUUID();
      const first = await charge(probe, caller, key, { amount: 42 });
      const rows: Array<{
        status: string;
        request_hash: string;
        response: { statusCode: number; body: string };
      }> = await probe.app
        .get(DataSource)
        .query(
          'SELECT status, request_hash, response FROM payment_idempotency WHERE tenant_id = $1 AND user_id = $2 AND idempotency_key = $3',
          [caller.tenantId, caller.userId, key],
        );
      expect(rows).toHaveLength(1);
      expect(rows[0].status).toBe('completed');
      expect(rows[0].request_hash).toBe(fingerprintRequest('POST', CHARGES, { amount: 42 }));
      expect(rows[0].response.statusCode).toBe(201);
      expect(rows[0].response.body).toBe(first.text);
    });
  });

  describe('races', () => {
    it('executes once for 30 concurrent requests with one key; the rest are 409 or replays', async () => {
      const caller = new TestClient();
      const key = randomUUID();
      const before = executions();
      const responses = await Promise.all(
        Array.from({ length: 30 }, () => charge(probe, caller, key, { amount: 300, delayMs: 300 })),
      );
      expect(executions() - before).toBe(1);
      const created = responses.filter((response) => response.status === 201);
      const conflicts = responses.filter((response) => response.status === 409);
      expect(created.length + conflicts.length).toBe(30);
      expect(new Set(created.map((response) => response.text)).size).toBe(1);
      expect(created.filter((response) => !response.headers['idempotent-replayed'])).toHaveLength(1);
    });
  });

  it('counts outcomes in /metrics', async () => {
    const outcomes = ['new', 'replayed', 'conflict', 'mismatch', 'takeover'] as const;
    const before = await readCounters(probe.http, IDEMPOTENCY_REQUESTS, 'outcome', outcomes);
    const caller = new TestClient();
    const key = randomUUID();
    const started = executions();
    const slow = charge(probe, caller, key, { amount: 1, delayMs: 300 }).then((response) => response);
    await probe.executions.whenStarted(started + 1);
    expect((await charge(probe, caller, key, { amount: 1, delayMs: 300 })).status).toBe(409);
    expect((await slow).status).toBe(201);
    expect((await charge(probe, caller, key, { amount: 1, delayMs: 300 })).status).toBe(201);
    expect((await charge(probe, caller, key, { amount: 2 })).status).toBe(422);

    const after = await readCounters(probe.http, IDEMPOTENCY_REQUESTS, 'outcome', outcomes);
    const delta = Object.fromEntries(outcomes.map((outcome) => [outcome, after[outcome] - before[outcome]]));
    expect(delta).toEqual({ new: 1, replayed: 1, conflict: 1, mismatch: 1, takeover: 0 });
  });
});
