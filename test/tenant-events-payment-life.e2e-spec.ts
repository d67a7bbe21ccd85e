import { randomUUID } from 'node:crypto';
import { Webhook } from 'standardwebhooks';
import { DataSource } from 'typeorm';
import { createPaymentsHarness, PaymentsHarness } from './support/payments-app';
import { deliver, waitFor } from './support/stripe-events';
import { TestClient } from './support/test-client';
import { WebhookReceiver } from './support/webhook-receiver';

interface DeliveredEvent {
  id: string;
  type: string;
  sequence: number;
  data: { object: { id: string; status: string }; previousStatus: string | null };
  cause: { kind: string; idempotencyKey?: string; stripeEventId?: string; requestId?: string };
}

/**
 * A payment's whole life as its tenant hears it: every status change recorded with the change
 * (by the request, by a Stripe event), delivered to the tenant's endpoint signed as Standard
 * Webhooks says, numbered in the payment's order, and naming its cause.
 */
describe('Tenant events: a payment’s life, delivered', () => {
  let harness: PaymentsHarness;
  let receiver: WebhookReceiver;
  let db: DataSource;

  beforeAll(async () => {
    harness = await createPaymentsHarness({
      OUTGOING_WEBHOOKS_ALLOW_PRIVATE_URLS: 'true',
      OUTGOING_WEBHOOK_SWEEP_INTERVAL_SECONDS: '1',
      WEBHOOK_SWEEP_INTERVAL_SECONDS: '1',
    });
    receiver = await WebhookReceiver.start();
    db = harness.app.app.get(DataSource);
  });
  afterAll(async () => {
    await receiver?.close();
    await harness?.close();
  });

  const verified = (secret: string) =>
    receiver.received.map((request) => {
      const headers = request.headers as Record<string, string>;
      return new Webhook(secret).verify(request.body, headers) as DeliveredEvent;
    });

  it('created → succeeded → partially refunded → refunded, each verified, in order, with its cause', async () => {
    const client = new TestClient({ app: harness.app });
    const endpoint = await client.post('/webhook-endpoints', { url: receiver.url, enabledEvents: ['*'] });
    expect(endpoint.status).toBe(201);
    const secret = endpoint.body.secret as string;

    const paymentKey = randomUUID();
    const created = await client.post(
      '/payments/process',
      { amount: 1000, currency: 'usd', paymentMethodId: 'pm_card_processing' },
      paymentKey,
    );
    expect(created.body.status).toBe('processing');
    const paymentId = created.body.id as string;
    const intentId = created.body.stripePaymentIntentId as string;

    // The bank settles it; Stripe says so by webhook.
    harness.emulator.settlePaymentIntent(intentId, 'succeeded');
    const succeeded = harness.emulator
      .events()
      .find(
        (event) =>
          event.type === 'payment_intent.succeeded' && (event.data.object as { id: string }).id === intentId,
      );
    if (!succeeded) throw new Error('Stripe sent no payment_intent.succeeded');
    expect((await deliver(harness.app, succeeded)).status).toBe(200);
    await waitFor('the payment to succeed', async () => {
      return (await client.get(`/payments/${paymentId}`)).body.status === 'succeeded';
    });

    const partKey = randomUUID();
    expect((await client.post('/refunds', { paymentId, amount: 300 }, partKey)).status).toBe(201);
    const restKey = randomUUID();
    expect((await client.post('/refunds', { paymentId }, restKey)).status).toBe(201);

    // The payment's four statuses, and each refund's two (reserved, then Stripe's answer).
    const expected = 8;
    await waitFor(
      `${expected} deliveries`,
      () => Promise.resolve(receiver.received.length >= expected),
      20000,
    );
    const events = verified(secret);
    expect(new Set(events.map((event) => event.id)).size).toBe(expected);

    const inOrder = [...events].sort((a, b) => a.sequence - b.sequence);
    expect(inOrder.map((event) => event.sequence)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    const byRequest = (key: string) => ({
      kind: 'request',
      requestId: expect.any(String),
      idempotencyKey: key,
    });
    expect(
      inOrder.map((event) => ({
        type: event.type,
        previousStatus: event.data.previousStatus,
        cause: event.cause,
      })),
    ).toEqual([
      { type: 'payment.processing', previousStatus: null, cause: byRequest(paymentKey) },
      {
        type: 'payment.succeeded',
        previousStatus: 'processing',
        cause: { kind: 'stripe_event', stripeEventId: succeeded.id },
      },
      { type: 'refund.pending', previousStatus: null, cause: byRequest(partKey) },
      { type: 'refund.succeeded', previousStatus: 'pending', cause: byRequest(partKey) },
      { type: 'payment.partially_refunded', previousStatus: 'succeeded', cause: byRequest(partKey) },
      { type: 'refund.pending', previousStatus: null, cause: byRequest(restKey) },
      { type: 'refund.succeeded', previousStatus: 'pending', cause: byRequest(restKey) },
      { type: 'payment.refunded', previousStatus: 'partially_refunded', cause: byRequest(restKey) },
    ]);
    // Each event carries its object as its own GET answers it after the change.
    const last = inOrder[inOrder.length - 1];
    expect(last.data.object).toEqual((await client.get(`/payments/${paymentId}`)).body);

    const listed = await client.get(`/events?paymentId=${paymentId}&limit=100`);
    expect((listed.body as { data: DeliveredEvent[] }).data.map((event) => event.id)).toEqual(
      [...inOrder].reverse().map((event) => event.id),
    );
    const stranger = new TestClient({ app: harness.app });
    expect((await stranger.get(`/events?paymentId=${paymentId}`)).body.data).toEqual([]);
    expect(
      await db.query('SELECT count(*)::int AS n FROM events WHERE payment_id = $1', [paymentId]),
    ).toEqual([{ n: expected }]);
  });
});
