import { getQueueToken } from '@nestjs/bull';
import type { Queue } from 'bull';
import { randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import type { StripeEvent } from '../packages/stripe-emulator/src/index';
import { ReconciliationService } from '../src/reconciliation/reconciliation.service';
import { STRIPE_WEBHOOK_QUEUE } from '../src/webhooks/webhooks.constants';
import { PaymentsHarness, usePaymentsHarness } from './support/payments-app';
import { deliverAndSettle, ledgerOf, linkedRefunds, refundEventsOf, truthOf } from './support/refund-truth';
import { deliver, waitFor } from './support/stripe-events';
import { TestClient } from './support/test-client';

/** Every order of `items`. */
function permutations<T>(items: readonly T[]): T[][] {
  if (items.length <= 1) return [[...items]];
  return items.flatMap((item, index) =>
    permutations([...items.slice(0, index), ...items.slice(index + 1)]).map((rest) => [item, ...rest]),
  );
}

describe('Refunds follow Stripe’s refund objects, in any order, from any channel', () => {
  const current = usePaymentsHarness();
  let harness: PaymentsHarness;
  let client: TestClient;
  let db: DataSource;
  beforeEach(() => {
    ({ harness, client } = current());
    db = harness.app.app.get(DataSource);
    harness.emulator.setRefundInitialStatus('succeeded');
  });

  const refundOf = async (paymentId: string, amount?: number) => {
    const response = await client.post('/refunds', { paymentId, amount });
    expect(response.status).toBe(201);
    return response.body as { id: string; stripeRefundId: string; status: string };
  };
  const eventsOf = (paymentIntentId: string, ...types: string[]) =>
    refundEventsOf(harness.emulator, paymentIntentId).filter(
      (event) => types.length === 0 || types.includes(event.type),
    );
  const expectAgreesWithStripe = async (paymentId: string, paymentIntentId: string) => {
    const truth = truthOf(harness.emulator, paymentIntentId);
    const view = await ledgerOf(client, paymentId);
    expect({ amountRefunded: view.amountRefunded, refunds: linkedRefunds(view) }).toEqual(truth);
    return view;
  };

  it('our refund fails at the bank: its failure, then the older charge.refunded, ends at 0 refunded', async () => {
    const paid = await client.paidPayment(100);
    const ours = await refundOf(paid.id, 30);
    harness.emulator.updateRefundStatus(ours.stripeRefundId, 'failed', 'declined');

    await deliverAndSettle(harness.app, db, [
      ...eventsOf(paid.stripePaymentIntentId, 'charge.refund.updated'),
      ...eventsOf(paid.stripePaymentIntentId, 'charge.refunded'),
    ]);

    const view = await expectAgreesWithStripe(paid.id, paid.stripePaymentIntentId);
    expect(view).toMatchObject({ amountRefunded: 0, status: 'succeeded' });
    expect((await client.get(`/refunds/${ours.id}`)).body).toMatchObject({
      status: 'failed',
      failureReason: 'declined',
      source: 'api',
    });
  });

  it('a Dashboard refund counts, and gives its amount back when it fails: 100 is refundable again', async () => {
    const paid = await client.paidPayment(100);
    const dashboard = harness.emulator.createDashboardRefund({
      paymentIntent: paid.stripePaymentIntentId,
      amount: 30,
    });
    await deliverAndSettle(harness.app, db, eventsOf(paid.stripePaymentIntentId));
    expect(await ledgerOf(client, paid.id)).toMatchObject({
      amountRefunded: 30,
      status: 'partially_refunded',
      refunds: [{ stripeRefundId: dashboard.id, amount: 30, status: 'succeeded', source: 'outside' }],
    });
    expect((await client.post('/refunds', { paymentId: paid.id, amount: 100 })).body).toMatchObject({
      code: 'REFUND_EXCEEDS_PAYMENT',
      details: { remaining: 70 },
    });

    harness.emulator.updateRefundStatus(dashboard.id, 'failed', 'expired_or_canceled_card');
    await deliverAndSettle(harness.app, db, eventsOf(paid.stripePaymentIntentId, 'refund.failed'));

    await expectAgreesWithStripe(paid.id, paid.stripePaymentIntentId);
    expect((await refundOf(paid.id, 100)).status).toBe('succeeded');
    await expectAgreesWithStripe(paid.id, paid.stripePaymentIntentId);
  });

  it('our refund lost to a Stripe outage, a Dashboard refund meanwhile, then reconciliation: 30 refunded', async () => {
    const paid = await client.paidPayment(100);
    harness.emulator.failNext(1, 503, { method: 'POST', path: '/v1/refunds' });
    expect((await client.post('/refunds', { paymentId: paid.id, amount: 30 })).status).toBe(502);
    harness.emulator.createDashboardRefund({ paymentIntent: paid.stripePaymentIntentId, amount: 30 });
    await deliverAndSettle(harness.app, db, eventsOf(paid.stripePaymentIntentId));
    await db.query(
      `UPDATE refunds SET updated_at = updated_at - interval '1 hour',
         stripe_first_attempt_at = stripe_first_attempt_at - interval '1 hour'
       WHERE payment_id = $1 AND source = 'api'`,
      [paid.id],
    );

    await expect(harness.app.app.get(ReconciliationService).reconcile()).resolves.toMatchObject({
      refundsReleased: 1,
    });

    const view = await expectAgreesWithStripe(paid.id, paid.stripePaymentIntentId);
    expect(view).toMatchObject({ amountRefunded: 30, status: 'partially_refunded' });
    expect(view.refunds).toEqual([
      { stripeRefundId: null, amount: 30, status: 'failed', source: 'api' },
      { stripeRefundId: expect.any(String), amount: 30, status: 'succeeded', source: 'outside' },
    ]);
  });

  describe('API refunds of 20 and 30, a Dashboard refund of 10, the 20 failing later', () => {
    /** The four events: the three refunds' charge.refunded, and the failure's charge.refund.updated. */
    async function scenario(tenant: TestClient) {
      const paid = await tenant.paidPayment(100);
      const post = async (amount: number) => {
        const response = await tenant.post('/refunds', { paymentId: paid.id, amount });
        expect(response.status).toBe(201);
        return response.body as { stripeRefundId: string };
      };
      const twenty = await post(20);
      await post(30);
      harness.emulator.createDashboardRefund({ paymentIntent: paid.stripePaymentIntentId, amount: 10 });
      harness.emulator.updateRefundStatus(twenty.stripeRefundId, 'failed', 'declined');
      const events = [
        ...eventsOf(paid.stripePaymentIntentId, 'charge.refunded'),
        ...eventsOf(paid.stripePaymentIntentId, 'charge.refund.updated'),
      ];
      expect(events).toHaveLength(4);
      return { paid, events };
    }

    it('ends at 40 refunded, each refund at Stripe’s status, in every one of the 24 orders', async () => {
      const scenarios = [];
      for (let index = 0; index < 24; index += 1) {
        const tenant = new TestClient({ app: harness.app, tenantId: client.tenantId });
        scenarios.push(await scenario(tenant));
      }
      const orders = permutations([0, 1, 2, 3]);
      expect(orders).toHaveLength(24);
      // Each payment's events in its own order, the payments side by side.
      await Promise.all(
        scenarios.map(({ events }, index) =>
          deliverAndSettle(
            harness.app,
            db,
            orders[index].map((position) => events[position]),
          ),
        ),
      );
      for (const { paid } of scenarios) {
        const view = await expectAgreesWithStripe(paid.id, paid.stripePaymentIntentId);
        expect(view).toMatchObject({ amountRefunded: 40, status: 'partially_refunded' });
      }
    });

    it('changes nothing when every event comes again, twice at once', async () => {
      const { paid, events } = await scenario(client);
      await deliverAndSettle(harness.app, db, events);
      const settled = await ledgerOf(client, paid.id);

      const again = await Promise.all(
        events.flatMap((event) => [deliver(harness.app, event), deliver(harness.app, event)]),
      );

      expect(again.map((response) => response.body as unknown)).toEqual(
        events.flatMap(() => [
          { received: true, duplicate: true },
          { received: true, duplicate: true },
        ]),
      );
      expect(await ledgerOf(client, paid.id)).toEqual(settled);
      await expectAgreesWithStripe(paid.id, paid.stripePaymentIntentId);
    });
  });

  it('a refund that bounces after `succeeded`: the refund fails and the refunded payment is succeeded again', async () => {
    const paid = await client.paidPayment(100);
    const whole = await refundOf(paid.id);
    expect((await client.get(`/payments/${paid.id}`)).body).toMatchObject({ status: 'refunded' });

    harness.emulator.updateRefundStatus(whole.stripeRefundId, 'failed', 'lost_or_stolen_card');
    await deliverAndSettle(harness.app, db, eventsOf(paid.stripePaymentIntentId, 'refund.updated'));

    expect(await expectAgreesWithStripe(paid.id, paid.stripePaymentIntentId)).toMatchObject({
      amountRefunded: 0,
      status: 'succeeded',
    });
    expect((await client.get(`/refunds/${whole.id}`)).body).toMatchObject({
      status: 'failed',
      failureReason: 'lost_or_stolen_card',
    });
  });

  it('a pending refund holds its amount until Stripe settles it, and follows it', async () => {
    harness.emulator.setRefundInitialStatus('pending');
    const paid = await client.paidPayment(100);
    const pending = await refundOf(paid.id, 60);
    expect(pending.status).toBe('pending');
    expect((await client.get(`/payments/${paid.id}`)).body).toMatchObject({
      amountRefunded: 60,
      status: 'partially_refunded',
    });
    // 40 is left, and 100 would fit only if the pending refund failed: come back later.
    expect((await client.post('/refunds', { paymentId: paid.id, amount: 100 })).body).toMatchObject({
      code: 'REFUND_IN_PROGRESS',
    });

    harness.emulator.updateRefundStatus(pending.stripeRefundId, 'succeeded');
    await deliverAndSettle(harness.app, db, eventsOf(paid.stripePaymentIntentId, 'charge.refund.updated'));

    expect(await expectAgreesWithStripe(paid.id, paid.stripePaymentIntentId)).toMatchObject({
      amountRefunded: 60,
    });
    expect((await client.get(`/refunds/${pending.id}`)).body.status).toBe('succeeded');
  });

  it('reads one refund or a payment’s refunds only for the tenant that owns them', async () => {
    const paid = await client.paidPayment(100);
    const ours = await refundOf(paid.id, 10);
    const stranger = new TestClient({ app: harness.app });

    expect((await client.get(`/refunds/${ours.id}`)).status).toBe(200);
    expect((await client.get(`/payments/${paid.id}/refunds`)).body.data).toHaveLength(1);
    const foreign = await stranger.get(`/refunds/${ours.id}`);
    expect(foreign.status).toBe(404);
    expect(foreign.body.code).toBe('REFUND_NOT_FOUND');
    expect((await stranger.get(`/payments/${paid.id}/refunds`)).body.code).toBe('PAYMENT_NOT_FOUND');
    expect((await client.get(`/refunds/${randomUUID()}`)).status).toBe(404);
    expect((await client.get('/refunds/not-a-uuid')).body.code).toBe('VALIDATION_FAILED');
    expect((await client.get('/payments/not-a-uuid/refunds')).body.code).toBe('VALIDATION_FAILED');
  });

  it('one read of Stripe answers a burst of refund events for one payment', async () => {
    const paid = await client.paidPayment(100);
    for (const amount of [5, 6, 7, 8]) {
      harness.emulator.createDashboardRefund({ paymentIntent: paid.stripePaymentIntentId, amount });
    }
    const events: StripeEvent[] = eventsOf(paid.stripePaymentIntentId);
    expect(events).toHaveLength(8);
    const queue = harness.app.app.get<Queue>(getQueueToken(STRIPE_WEBHOOK_QUEUE));
    const listsBefore = listCalls();

    // Received while no worker takes jobs: a backlog, as after an outage or a busy spell.
    await queue.pause(true);
    try {
      for (const event of events) expect((await deliver(harness.app, event)).status).toBe(200);
    } finally {
      await queue.resume(true);
    }
    await waitFor('the backlog processed', async () => {
      const [{ open }] = await db.query<Array<{ open: number }>>(
        `SELECT count(*)::int AS open FROM webhook_inbox WHERE event_id = ANY($1) AND status <> 'processed'`,
        [events.map((event) => event.id)],
      );
      return open === 0;
    });

    expect(listCalls() - listsBefore).toBe(1);
    expect((await client.get(`/payments/${paid.id}`)).body.amountRefunded).toBe(26);
  });

  const listCalls = () =>
    harness.emulator
      .requestLog()
      .filter((entry) => entry.method === 'GET' && entry.path.startsWith('/v1/refunds')).length;
});
