import { DataSource } from 'typeorm';
import { createPaymentsHarness, PaymentsHarness, stripeClientFor } from './support/payments-app';
import { DisposableRedis } from './support/redis-server';
import { deliver, waitFor } from './support/stripe-events';
import { TestClient } from './support/test-client';

describe('Stripe webhooks while Redis is down', () => {
  let redis: DisposableRedis;
  let harness: PaymentsHarness;
  let db: DataSource;

  beforeAll(async () => {
    redis = await DisposableRedis.start();
    harness = await createPaymentsHarness({ REDIS_URL: redis.url, WEBHOOK_SWEEP_INTERVAL_SECONDS: '1' });
    db = harness.app.app.get(DataSource);
  });
  afterAll(async () => {
    await harness.close();
    await redis.stop();
  });

  const statusOf = async (eventId: string) =>
    (
      await db.query<Array<{ status: string }>>('SELECT status FROM webhook_inbox WHERE event_id = $1', [
        eventId,
      ])
    )[0]?.status;

  it('acknowledges with 200 and keeps the row pending; once Redis is back the sweeper gets it processed', async () => {
    const client = new TestClient({ app: harness.app });
    const paid = await client.paidPayment(1000);
    await redis.stop();

    // A refund made outside the API, whose event arrives while Redis is down.
    await stripeClientFor(harness.emulator).refunds.create({
      payment_intent: paid.stripePaymentIntentId,
      amount: 250,
    });
    const event = harness.emulator.events().find((candidate) => candidate.type === 'charge.refunded');
    if (!event) throw new Error('Stripe sent no charge.refunded');
    const startedAt = Date.now();
    const response = await deliver(harness.app, event);
    expect(response.status).toBe(200);
    expect(response.body).toEqual({ received: true });
    expect(Date.now() - startedAt).toBeLessThan(3000);
    expect(await statusOf(event.id)).toBe('pending');

    // A redelivery meanwhile is a duplicate, still acknowledged.
    expect((await deliver(harness.app, event)).body).toEqual({ received: true, duplicate: true });

    await redis.start();
    await waitFor(
      'the swept event to be processed',
      async () => (await statusOf(event.id)) === 'processed',
      20000,
    );
    const payment = await client.get(`/payments/${paid.id}`);
    expect(payment.body).toMatchObject({ status: 'partially_refunded', amountRefunded: 250 });
  });
});
