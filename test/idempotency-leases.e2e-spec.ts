import { randomUUID } from 'node:crypto';
import Redis from 'ioredis';
import { DataSource } from 'typeorm';
import { fingerprintRequest, scopeId } from '../src/idempotency/idempotency-scope';
import { idempotencyCacheKeys } from '../src/idempotency/idempotency.cache';
import { createPaymentsHarness, PaymentsHarness } from './support/payments-app';
import { TestClient } from './support/test-client';
import { eventually } from './support/time';

const visa = { amount: 1000, currency: 'usd', paymentMethodId: 'pm_card_visa' };

/** The Redis lock marker of a scoped key, as a request that never reached PostgreSQL left it. */
function lockKeyOf(client: TestClient, key: string): string {
  return idempotencyCacheKeys(scopeId({ tenantId: client.tenantId, userId: client.userId, key })).lock;
}

describe('Idempotency leases', () => {
  let harness: PaymentsHarness;
  let redis: Redis;
  let dataSource: DataSource;

  beforeAll(async () => {
    harness = await createPaymentsHarness({ IDEMPOTENCY_LOCK_TTL_SECONDS: '1' });
    redis = new Redis(process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379');
    dataSource = harness.app.app.get(DataSource);
  });
  beforeEach(() => harness.emulator.clearFaults());
  afterAll(async () => {
    redis.disconnect();
    await harness.close();
  });

  const intentsCreated = () => harness.emulator.stats().paymentIntentsCreated;

  describe('a Redis lock marker with no PostgreSQL record', () => {
    it.each([
      ['the same request', fingerprintRequest('POST', '/payments/process', visa)],
      ['another request', fingerprintRequest('POST', '/payments/process', { ...visa, amount: 1 })],
    ])(
      'does not block the key when the stale marker names %s: PostgreSQL decides',
      async (_name, requestHash) => {
        const client = new TestClient({ app: harness.app });
        const key = randomUUID();
        const staleMarker = { statusCode: 102, requestHash, token: randomUUID() };
        await redis.set(lockKeyOf(client, key), JSON.stringify(staleMarker), 'PX', 60_000);
        const before = intentsCreated();

        const response = await client.post('/payments/process', visa, key);
        expect(response.status).toBe(201);
        expect(response.headers['idempotent-replayed']).toBeUndefined();
        const replay = await client.post('/payments/process', visa, key);
        expect(replay.status).toBe(201);
        expect(replay.headers['idempotent-replayed']).toBe('true');
        expect(replay.text).toBe(response.text);
        expect(intentsCreated() - before).toBe(1);
      },
    );
  });

  describe('an execution whose lock was taken over', () => {
    it('stops before settling, leaves the new holder’s record alone, and the key completes once', async () => {
      const client = new TestClient({ app: harness.app });
      const key = randomUUID();
      const before = intentsCreated();
      // The Stripe call outlasts the lock TTL, so the heartbeat renews during it.
      harness.emulator.addLatency(1500, { method: 'POST', path: '/v1/payment_intents' });
      const loser = client.post('/payments/process', visa, key).then((response) => response);

      // Once Stripe is being asked, another execution takes the key (as a retry would after
      // this process stalled past the lock TTL).
      await eventually(async () => {
        const [row] = await dataSource.query<Array<{ attempted: boolean }>>(
          `SELECT stripe_first_attempt_at IS NOT NULL AS attempted FROM payment_transactions
           WHERE tenant_id = $1 AND idempotency_key = $2`,
          [client.tenantId, key],
        );
        expect(row?.attempted).toBe(true);
      });
      const winnerToken = randomUUID();
      await dataSource.query(
        `UPDATE payment_idempotency SET lock_token = $3, locked_at = now()
         WHERE tenant_id = $1 AND idempotency_key = $2`,
        [client.tenantId, key, winnerToken],
      );

      const lost = await loser;
      expect(lost.status).toBe(409);
      expect(lost.body.code).toBe('DUPLICATE_IN_PROGRESS');
      const [payment] = await dataSource.query<Array<{ stripe_payment_intent_id: string | null }>>(
        'SELECT stripe_payment_intent_id FROM payment_transactions WHERE tenant_id = $1 AND idempotency_key = $2',
        [client.tenantId, key],
      );
      expect(payment.stripe_payment_intent_id).toBeNull();
      const [record] = await dataSource.query<Array<{ status: string; lock_token: string }>>(
        'SELECT status, lock_token FROM payment_idempotency WHERE tenant_id = $1 AND idempotency_key = $2',
        [client.tenantId, key],
      );
      expect(record).toEqual({ status: 'in_progress', lock_token: winnerToken });

      // The new holder's lock lapses (it was only simulated); the next request takes over and
      // completes the one PaymentIntent Stripe made, by Stripe's replay.
      harness.emulator.clearFaults();
      await dataSource.query(
        `UPDATE payment_idempotency SET locked_at = now() - interval '1 minute'
         WHERE tenant_id = $1 AND idempotency_key = $2`,
        [client.tenantId, key],
      );
      const retry = await client.post('/payments/process', visa, key);
      expect(retry.status).toBe(201);
      expect(retry.body.status).toBe('succeeded');
      expect(intentsCreated() - before).toBe(1);
    });
  });
});
