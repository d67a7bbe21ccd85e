import { randomUUID } from 'node:crypto';
import { Client as PgClient } from 'pg';
import request from 'supertest';
import { StripeEmulator } from '../packages/stripe-emulator/src/index';
import { ServiceProcess } from './support/service-process';
import { TEST_JWT_SECRET } from './support/test-app';
import { bearer, signToken } from './support/tokens';

/**
 * Two real service processes behind one (imaginary) load balancer, sharing PostgreSQL, Redis
 * and Stripe: a client retrying hard with one key is charged once.
 */
describe('Exactly once across processes', () => {
  let emulator: StripeEmulator;
  let services: ServiceProcess[];

  beforeAll(async () => {
    emulator = new StripeEmulator({ port: 0, logger: { log: () => undefined, warn: () => undefined } });
    await emulator.start();
    const env = {
      DATABASE_URL: process.env.TEST_DATABASE_URL ?? '',
      JWT_SECRET: TEST_JWT_SECRET,
      STRIPE_API_URL: emulator.url,
      STRIPE_SECRET_KEY: 'sk_test_processes',
      STRIPE_WEBHOOK_SECRET: 'whsec_processes',
      STRIPE_MAX_NETWORK_RETRIES: '0',
    };
    services = await Promise.all([ServiceProcess.start(env), ServiceProcess.start(env)]);
  }, 60000);
  afterAll(async () => {
    await Promise.all((services ?? []).map((service) => service.stop()));
    await emulator.stop();
  });

  it('creates one PaymentIntent and one row for 30 concurrent same-key requests over two processes', async () => {
    const tenantId = randomUUID();
    const headers = { ...bearer(signToken({ tenantId, userId: 'racer' })), 'Idempotency-Key': randomUUID() };
    const body = { amount: 4200, currency: 'usd', paymentMethodId: 'pm_card_visa' };
    // Slow Stripe down so the requests really overlap while the first one runs.
    emulator.addLatency(300, { method: 'POST', path: '/v1/payment_intents' });
    const before = emulator.stats().paymentIntentsCreated;

    const responses = await Promise.all(
      Array.from({ length: 30 }, (_, i) =>
        request(services[i % 2].url)
          .post('/payments/process')
          .set(headers)
          .send(body),
      ),
    );
    emulator.clearFaults();

    const statuses = responses.map((response) => response.status);
    expect(statuses.every((status) => status === 201 || status === 409)).toBe(true);
    const created = responses.filter((response) => response.status === 201);
    expect(new Set(created.map((response) => response.body.id as string)).size).toBe(1);
    expect(emulator.stats().paymentIntentsCreated - before).toBe(1);

    const db = new PgClient({ connectionString: process.env.TEST_DATABASE_URL });
    await db.connect();
    try {
      const { rows } = await db.query<{ count: string }>(
        'SELECT count(*) FROM payment_transactions WHERE tenant_id = $1',
        [tenantId],
      );
      expect(Number(rows[0].count)).toBe(1);
    } finally {
      await db.end();
    }
  });
});
