import { randomUUID } from 'node:crypto';
import request from 'supertest';
import { DataSource } from 'typeorm';
import { createPaymentsHarness, PaymentsHarness } from './support/payments-app';
import { TestClient } from './support/test-client';
import { DisposableRedis } from './support/redis-server';
import { eventually, sleep } from './support/time';

const payment = { amount: 1000, currency: 'usd', paymentMethodId: 'pm_card_visa' };

const statusCounts = (responses: Array<{ status: number }>) =>
  responses.reduce<Record<number, number>>((counts, { status }) => {
    counts[status] = (counts[status] ?? 0) + 1;
    return counts;
  }, {});

function retryAfterSeconds(response: { headers: Record<string, string> }): number {
  const header = response.headers['retry-after'];
  expect(header).toMatch(/^[1-9]\d*$/);
  return Number(header);
}

async function fallbacksCounted(harness: PaymentsHarness): Promise<number> {
  const metrics = await request(harness.app.http).get('/metrics');
  const match = /^rate_limit_fallbacks_total\{family="payments"\} (\d+)$/m.exec(metrics.text);
  return match ? Number(match[1]) : 0;
}

describe('Per-tenant rate limits on money routes', () => {
  describe('with Redis up', () => {
    const windowSeconds = 3;
    let harness: PaymentsHarness;

    beforeAll(async () => {
      harness = await createPaymentsHarness({
        RATE_LIMIT_WINDOW_SECONDS: String(windowSeconds),
        RATE_LIMIT_PAYMENTS_PER_WINDOW: '3',
        RATE_LIMIT_REFUNDS_PER_WINDOW: '2',
      });
    });
    afterAll(() => harness.close());

    const idempotencyRecords = async (tenantId: string, key?: string): Promise<number> => {
      const [row] = await harness.app.app
        .get(DataSource)
        .query<Array<{ n: number }>>(
          'SELECT count(*)::int AS n FROM payment_idempotency WHERE tenant_id = $1 AND ($2::uuid IS NULL OR idempotency_key = $2)',
          [tenantId, key ?? null],
        );
      return row.n;
    };

    it('answers 429 RATE_LIMITED with Retry-After over the limit, while another tenant is served at the same moment', async () => {
      const busy = new TestClient({ app: harness.app });
      const quiet = new TestClient({ app: harness.app });

      const [busyResponses, quietResponses] = await Promise.all([
        Promise.all(Array.from({ length: 7 }, () => busy.post('/payments/process', payment))),
        Promise.all(Array.from({ length: 3 }, () => quiet.post('/payments/process', payment))),
      ]);

      expect(statusCounts(busyResponses)).toEqual({ 201: 3, 429: 4 });
      expect(statusCounts(quietResponses)).toEqual({ 201: 3 });
      for (const limited of busyResponses.filter(({ status }) => status === 429)) {
        expect(limited.body).toEqual({ statusCode: 429, code: 'RATE_LIMITED', message: expect.any(String) });
        expect(retryAfterSeconds(limited)).toBeLessThanOrEqual(windowSeconds);
        expect(limited.headers['idempotent-replayed']).toBeUndefined();
      }
      // Nothing ran for the refused requests: no claimed key, no payment.
      await expect(idempotencyRecords(busy.tenantId)).resolves.toBe(3);
    });

    it('shares one budget across /payments/process, /payments/fees and /intents, and keeps refunds apart', async () => {
      const client = new TestClient({ app: harness.app });
      const paid = await client.paidPayment();
      expect((await client.post('/payments/fees', payment)).status).toBe(201);
      expect((await client.post('/intents', { amount: 500, currency: 'usd' })).status).toBe(201);
      const overBudget = await client.post('/intents', { amount: 500, currency: 'usd' });
      expect(overBudget.status).toBe(429);
      expect(overBudget.body.code).toBe('RATE_LIMITED');

      const refunds = [];
      for (let i = 0; i < 3; i += 1) {
        refunds.push(await client.post('/refunds', { paymentId: paid.id, amount: 100 }));
      }
      expect(refunds.map(({ status }) => status)).toEqual([201, 201, 429]);
    });

    it('stores nothing for a 429: the same Idempotency-Key runs as new once Retry-After has passed', async () => {
      const client = new TestClient({ app: harness.app });
      for (let i = 0; i < 3; i += 1)
        expect((await client.post('/payments/process', payment)).status).toBe(201);
      const key = randomUUID();

      const limited = await client.post('/payments/process', payment, key);
      expect(limited.status).toBe(429);
      await expect(idempotencyRecords(client.tenantId, key)).resolves.toBe(0);

      // What a well-behaved client does: wait as told, then retry with the same key.
      await sleep(retryAfterSeconds(limited) * 1000);
      const retried = await client.post('/payments/process', payment, key);
      expect(retried.status).toBe(201);
      expect(retried.headers['idempotent-replayed']).toBeUndefined();
      const replayed = await client.post('/payments/process', payment, key);
      expect(replayed.status).toBe(201);
      expect(replayed.headers['idempotent-replayed']).toBe('true');
      expect(replayed.text).toBe(retried.text);
    });

    it('leaves routes outside the money families unlimited', async () => {
      const client = new TestClient({ app: harness.app });
      const paid = await client.paidPayment();
      const reads = await Promise.all(Array.from({ length: 6 }, () => client.get(`/payments/${paid.id}`)));
      expect(reads.map(({ status }) => status)).toEqual(Array(6).fill(200));
    });
  });

  describe('with Redis stopped', () => {
    let redis: DisposableRedis;
    let harness: PaymentsHarness;

    beforeAll(async () => {
      redis = await DisposableRedis.start();
      harness = await createPaymentsHarness({
        REDIS_URL: redis.url,
        RATE_LIMIT_WINDOW_SECONDS: '60',
        RATE_LIMIT_PAYMENTS_PER_WINDOW: '1',
      });
      await redis.stop();
      await eventually(async () => {
        const ready = await request(harness.app.http).get('/health/ready');
        expect(ready.body.details.redis.status).toBe('degraded');
      });
    });
    afterAll(async () => {
      await harness.close();
      await redis.stop();
    });

    it('fails open: payments over the limit still succeed, and every unchecked request is counted', async () => {
      const client = new TestClient({ app: harness.app });
      const before = await fallbacksCounted(harness);
      const responses = await Promise.all(
        Array.from({ length: 3 }, () => client.post('/payments/process', payment)),
      );
      expect(responses.map(({ status }) => status)).toEqual([201, 201, 201]);
      await expect(fallbacksCounted(harness)).resolves.toBe(before + 3);
    });

    it('enforces the limit again once Redis is back', async () => {
      await redis.start();
      await eventually(async () => {
        const ready = await request(harness.app.http).get('/health/ready');
        expect(ready.body.details.redis.status).toBe('up');
      });
      const client = new TestClient({ app: harness.app });
      expect((await client.post('/payments/process', payment)).status).toBe(201);
      expect((await client.post('/payments/process', payment)).status).toBe(429);
    });
  });
});
