import { randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import { createPaymentsHarness, PaymentsHarness } from './support/payments-app';
import { ServiceProcess } from './support/service-process';
import { TEST_JWT_SECRET } from './support/test-app';
import { TcpProxy } from './support/tcp-proxy';
import { TestClient } from './support/test-client';
import { eventually } from './support/time';
import { expireIdempotencyRecord, staleLock } from './support/time-travel';

const visa = { amount: 1000, currency: 'usd', paymentMethodId: 'pm_card_visa' };

describe('Recovery on money routes', () => {
  describe('when Stripe has forgotten the idempotency key of an unfinished attempt', () => {
    let harness: PaymentsHarness;
    let client: TestClient;

    beforeAll(async () => {
      // The service trusts Stripe to replay for 60 s here; each test then moves the first
      // attempt an hour back and makes the emulator forget its keys, as Stripe does after 24 h.
      harness = await createPaymentsHarness({ STRIPE_IDEMPOTENCY_WINDOW_SECONDS: '60' });
    });
    beforeEach(() => {
      harness.emulator.clearFaults();
      client = new TestClient({ app: harness.app });
    });
    afterAll(() => harness.close());

    /** Past Stripe's idempotency window: our first attempt is old, and Stripe has forgotten the key. */
    const pastStripeWindow = async (table: 'payment_transactions' | 'refunds') => {
      const stripeId = table === 'refunds' ? 'stripe_refund_id' : 'stripe_payment_intent_id';
      const moved: [unknown[], number] = await harness.app.app.get(DataSource).query(
        `UPDATE ${table} SET stripe_first_attempt_at = stripe_first_attempt_at - interval '1 hour'
         WHERE tenant_id = $1 AND stripe_first_attempt_at IS NOT NULL AND ${stripeId} IS NULL`,
        [client.tenantId],
      );
      expect(moved[1]).toBe(1);
      expect(harness.emulator.forgetIdempotencyKeys()).toBeGreaterThan(0);
    };

    it('finds the PaymentIntent Stripe made instead of charging again', async () => {
      const key = randomUUID();
      const before = harness.emulator.stats().paymentIntentsCreated;
      harness.emulator.dropAfterCommit(2, { method: 'POST', path: '/v1/payment_intents' });
      expect((await client.post('/payments/process', visa, key)).status).toBe(502);
      await pastStripeWindow('payment_transactions');

      const retry = await client.post('/payments/process', visa, key);
      expect(retry.status).toBe(201);
      expect(retry.body.status).toBe('succeeded');
      expect(harness.emulator.stats().paymentIntentsCreated - before).toBe(1);
      const [intent] = harness.emulator
        .paymentIntents()
        .filter((pi) => pi.metadata.ps_tenant_id === client.tenantId);
      expect(retry.body.stripePaymentIntentId).toBe(intent.id);
    });

    it('finds the refund Stripe made instead of refunding again', async () => {
      const payment = await client.paidPayment(1000);
      const key = randomUUID();
      harness.emulator.dropAfterCommit(2, { method: 'POST', path: '/v1/refunds' });
      expect((await client.post('/refunds', { paymentId: payment.id, amount: 400 }, key)).status).toBe(502);
      await pastStripeWindow('refunds');

      const retry = await client.post('/refunds', { paymentId: payment.id, amount: 400 }, key);
      expect(retry.status).toBe(201);
      const atStripe = harness.emulator
        .refunds()
        .filter((refund) => refund.payment_intent === payment.stripePaymentIntentId);
      expect(atStripe.map((refund) => refund.amount)).toEqual([400]);
      expect(retry.body.stripeRefundId).toBe(atStripe[0].id);
      expect((await client.get(`/payments/${payment.id}`)).body.amountRefunded).toBe(400);
    });
  });

  describe('a key whose idempotency record has expired', () => {
    let harness: PaymentsHarness;

    beforeAll(async () => {
      harness = await createPaymentsHarness();
    });
    afterAll(() => harness.close());

    it('answers the same payment for the same request, charging nothing, and 422 for another request', async () => {
      const client = new TestClient({ app: harness.app });
      const key = randomUUID();
      const scope = { tenantId: client.tenantId, userId: client.userId, key };
      const first = await client.post('/payments/process', visa, key);
      expect(first.status).toBe(201);
      await expireIdempotencyRecord(harness.app, scope);
      const before = harness.emulator.stats().paymentIntentsCreated;

      const again = await client.post('/payments/process', visa, key);
      expect(again.status).toBe(201);
      expect(again.headers['idempotent-replayed']).toBeUndefined();
      expect(again.body.id).toBe(first.body.id);
      expect(harness.emulator.stats().paymentIntentsCreated).toBe(before);

      await expireIdempotencyRecord(harness.app, scope);
      const other = await client.post('/payments/process', { ...visa, amount: 999 }, key);
      expect(other.status).toBe(422);
      expect(other.body.code).toBe('IDEMPOTENCY_KEY_MISMATCH');
      expect(harness.emulator.stats().paymentIntentsCreated).toBe(before);
    });
  });

  describe('payments whose Stripe call outlives PostgreSQL', () => {
    let harness: PaymentsHarness;
    let proxy: TcpProxy;
    // Far longer than the test may take: a key freed here was freed by its own process.
    const lockTtlSeconds = 600;

    beforeAll(async () => {
      // PostgreSQL through a proxy the test can cut: a real outage for this service only.
      const url = new URL(process.env.TEST_DATABASE_URL ?? '');
      proxy = await TcpProxy.start(Number(url.port || 5432));
      url.port = String(proxy.port);
      harness = await createPaymentsHarness({
        DATABASE_URL: url.toString(),
        IDEMPOTENCY_LOCK_TTL_SECONDS: String(lockTtlSeconds),
        // The retries below poll; they are not what this test is about.
        RATE_LIMIT_ENABLED: 'false',
      });
    });
    afterAll(async () => {
      await harness.close();
      await proxy.stop();
    });

    it('answers 503, then frees each key as soon as PostgreSQL is back: the retries answer 201, one PaymentIntent per key', async () => {
      const client = new TestClient({ app: harness.app });
      const keys = Array.from({ length: 6 }, () => randomUUID());
      const before = harness.emulator.stats().paymentIntentsCreated;
      const createIntent = { method: 'POST', path: '/v1/payment_intents' } as const;
      harness.emulator.addLatency(1500, createIntent);

      const first = Promise.all(keys.map((key) => client.post('/payments/process', visa, key)));
      await harness.emulator.whenRequestsInFlight(keys.length, 10000, createIntent);
      await proxy.stop();
      // Each execution ends while PostgreSQL is away: its writes and its key's release fail.
      expect((await first).map((response) => response.status)).toEqual(keys.map(() => 503));
      harness.emulator.clearFaults();

      await proxy.start();
      // Answered from the key's own record once its release is written: 409 until then. A key
      // left to its lock TTL would keep answering 409 for ten minutes.
      const retries = await Promise.all(
        keys.map(async (key) => {
          let retry: { status: number; body: { status: string; stripePaymentIntentId: string } } | undefined;
          await eventually(async () => {
            retry = await client.post('/payments/process', visa, key);
            expect(retry.status).toBe(201);
          }, 15000);
          if (!retry) throw new Error('no retry was answered');
          return retry.body;
        }),
      );
      expect(retries.map((payment) => payment.status)).toEqual(keys.map(() => 'succeeded'));
      // The PaymentIntent the cut-off execution made is the one completed: none made twice.
      expect(harness.emulator.stats().paymentIntentsCreated - before).toBe(keys.length);
      expect(new Set(retries.map((payment) => payment.stripePaymentIntentId)).size).toBe(keys.length);
      const rows: Array<{ count: string }> = await harness.app.app
        .get(DataSource)
        .query('SELECT count(*) FROM payment_transactions WHERE tenant_id = $1', [client.tenantId]);
      expect(Number(rows[0].count)).toBe(keys.length);
    }, 60000);
  });

  describe('a process that dies in the middle of a payment', () => {
    let harness: PaymentsHarness;
    let doomed: ServiceProcess;

    beforeAll(async () => {
      harness = await createPaymentsHarness({ IDEMPOTENCY_LOCK_TTL_SECONDS: '1' });
      doomed = await ServiceProcess.start({
        DATABASE_URL: process.env.TEST_DATABASE_URL ?? '',
        JWT_SECRET: TEST_JWT_SECRET,
        STRIPE_API_URL: harness.emulator.url,
        STRIPE_SECRET_KEY: 'sk_test_e2e',
        STRIPE_WEBHOOK_SECRET: 'whsec_e2e',
        STRIPE_MAX_NETWORK_RETRIES: '0',
        IDEMPOTENCY_LOCK_TTL_SECONDS: '1',
      });
    }, 60000);
    afterAll(async () => {
      await doomed.stop();
      await harness.close();
    });

    it('leaves a key the next instance takes over after the lock TTL, completing the one PaymentIntent', async () => {
      const client = new TestClient({ app: harness.app });
      const key = randomUUID();
      const before = harness.emulator.stats().paymentIntentsCreated;
      harness.emulator.addLatency(1000, { method: 'POST', path: '/v1/payment_intents' });

      const lost = fetch(`${doomed.url}/payments/process`, {
        method: 'POST',
        headers: { ...client.headers, 'Idempotency-Key': key, 'Content-Type': 'application/json' },
        body: JSON.stringify(visa),
      }).then(
        () => 'answered',
        () => 'cut off',
      );
      // Crash once the doomed process has recorded its Stripe attempt and sent the call.
      const dataSource = harness.app.app.get(DataSource);
      await eventually(async () => {
        const attempted: Array<{ count: string }> = await dataSource.query(
          'SELECT count(*) FROM payment_transactions WHERE tenant_id = $1 AND stripe_first_attempt_at IS NOT NULL',
          [client.tenantId],
        );
        expect(Number(attempted[0].count)).toBe(1);
      });
      await harness.emulator.whenRequestsInFlight(1, 5000, { method: 'POST', path: '/v1/payment_intents' });
      await doomed.crash();
      expect(await lost).toBe('cut off');
      // The dead process renewed its lock moments ago: the key is still held.
      expect((await client.post('/payments/process', visa, key)).status).toBe(409);

      // Stripe still completes the call the dead process made.
      await eventually(() => {
        expect(harness.emulator.stats().paymentIntentsCreated - before).toBe(1);
        return Promise.resolve();
      });
      harness.emulator.clearFaults();

      // The dead process's lock is no longer renewed: once older than the lock TTL, it is taken over.
      await staleLock(harness.app, { tenantId: client.tenantId, userId: client.userId, key });
      const retry = await client.post('/payments/process', visa, key);
      expect(retry.status).toBe(201);
      expect(retry.body.status).toBe('succeeded');
      expect(harness.emulator.stats().paymentIntentsCreated - before).toBe(1);
      const rows: Array<{ count: string }> = await dataSource.query(
        'SELECT count(*) FROM payment_transactions WHERE tenant_id = $1',
        [client.tenantId],
      );
      expect(Number(rows[0].count)).toBe(1);
    });
  });
});
