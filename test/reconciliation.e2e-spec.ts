import { randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import { ReconciliationService } from '../src/reconciliation/reconciliation.service';
import { createPaymentsHarness, PaymentsHarness, usePaymentsHarness } from './support/payments-app';
import { TestClient } from './support/test-client';
import { createTestApp } from './support/test-app';
import { eventually } from './support/time';

describe('Reconciliation job', () => {
  const current = usePaymentsHarness();
  let harness: PaymentsHarness;
  let client: TestClient;
  let job: ReconciliationService;
  let db: DataSource;
  beforeEach(() => {
    ({ harness, client } = current());
    job = harness.app.app.get(ReconciliationService);
    db = harness.app.app.get(DataSource);
  });

  const refundedAtStripe = (paymentIntentId: string) =>
    harness.emulator.refunds().filter((refund) => refund.payment_intent === paymentIntentId);

  /** Makes a payment's refunds look untouched for an hour, past RECONCILE_AFTER_SECONDS (600). */
  const ageRefunds = (paymentId: string) =>
    db.query(
      `UPDATE refunds SET created_at = created_at - interval '1 hour', updated_at = updated_at - interval '1 hour',
         stripe_first_attempt_at = stripe_first_attempt_at - interval '1 hour'
       WHERE payment_id = $1`,
      [paymentId],
    );

  const refundRows = (
    paymentId: string,
  ): Promise<Array<{ status: string; stripe_refund_id: string | null }>> =>
    db.query('SELECT status, stripe_refund_id FROM refunds WHERE payment_id = $1', [paymentId]);

  const amountRefunded = async (paymentId: string): Promise<number> =>
    (await client.get(`/payments/${paymentId}`)).body.amountRefunded as number;

  /** A refund whose Stripe answer was lost after Stripe committed it: pending, reserved, refunded at Stripe. */
  async function refundLostAfterCommit(amount = 400) {
    const payment = await client.paidPayment(1000);
    const key = randomUUID();
    // The connection is cut twice: the SDK's own retry of a reused socket meets the second cut.
    harness.emulator.dropAfterCommit(2, { method: 'POST', path: '/v1/refunds' });
    const lost = await client.post('/refunds', { paymentId: payment.id, amount }, key);
    harness.emulator.clearFaults();
    expect(lost.status).toBe(502);
    expect(refundedAtStripe(payment.stripePaymentIntentId)).toHaveLength(1);
    return { payment, key };
  }

  /** A refund Stripe never received: pending, reserved, nothing at Stripe. */
  async function refundNeverReceived(amount = 400) {
    const payment = await client.paidPayment(1000);
    const key = randomUUID();
    harness.emulator.failNext(1, 503, { method: 'POST', path: '/v1/refunds' });
    const failed = await client.post('/refunds', { paymentId: payment.id, amount }, key);
    expect(failed.status).toBe(502);
    expect(refundedAtStripe(payment.stripePaymentIntentId)).toHaveLength(0);
    return { payment, key };
  }

  it('settles a refund whose Stripe answer was lost, exactly once', async () => {
    const { payment } = await refundLostAfterCommit(400);
    await ageRefunds(payment.id);

    const summary = await job.reconcile();
    expect(summary).toMatchObject({
      ran: true,
      dryRun: false,
      refundsSettled: 1,
      refundsReleased: 0,
      paymentsUpdated: 0,
      refundMismatches: 1,
      errors: 0,
    });
    expect(summary.findings).toEqual([
      {
        kind: 'refunds',
        paymentId: payment.id,
        tenantId: client.tenantId,
        ours: 0,
        stripe: 400,
        refunds: [
          {
            stripeRefundId: refundedAtStripe(payment.stripePaymentIntentId)[0]?.id,
            amount: 400,
            ours: 'pending',
            stripe: 'succeeded',
          },
        ],
      },
      { kind: 'stuck_refund', refundId: expect.any(String), paymentId: payment.id, outcome: 'settled' },
    ]);
    expect(await refundRows(payment.id)).toEqual([
      { status: 'succeeded', stripe_refund_id: refundedAtStripe(payment.stripePaymentIntentId)[0]?.id },
    ]);
    expect((await client.get(`/payments/${payment.id}`)).body).toMatchObject({
      status: 'partially_refunded',
      amountRefunded: 400,
    });

    await expect(job.reconcile()).resolves.toMatchObject({ refundsSettled: 0, refundsReleased: 0 });
    expect(await amountRefunded(payment.id)).toBe(400);
  });

  it('leaves a refund Stripe never received alone until it is older than the threshold', async () => {
    const { payment } = await refundNeverReceived(400);
    await expect(job.reconcile()).resolves.toMatchObject({ refundsSettled: 0, refundsReleased: 0 });
    expect(await refundRows(payment.id)).toEqual([{ status: 'pending', stripe_refund_id: null }]);
  });

  it('links a refund whose answer was lost as soon as Stripe lists it, threshold or not', async () => {
    const { payment } = await refundLostAfterCommit(400);
    await expect(job.reconcile()).resolves.toMatchObject({
      refundsSettled: 0,
      refundsReleased: 0,
      refundMismatches: 1,
    });
    expect(await refundRows(payment.id)).toEqual([
      { status: 'succeeded', stripe_refund_id: refundedAtStripe(payment.stripePaymentIntentId)[0]?.id },
    ]);
    expect(await amountRefunded(payment.id)).toBe(400);
  });

  it('releases a refund Stripe never received; the amount is refundable again', async () => {
    const { payment } = await refundNeverReceived(400);
    const blocked = await client.post('/refunds', { paymentId: payment.id, amount: 1000 });
    expect(blocked.status).toBe(409);
    expect(blocked.body.code).toBe('REFUND_IN_PROGRESS');
    await ageRefunds(payment.id);

    await expect(job.reconcile()).resolves.toMatchObject({ refundsSettled: 0, refundsReleased: 1 });
    expect(await refundRows(payment.id)).toEqual([{ status: 'failed', stripe_refund_id: null }]);

    const whole = await client.post('/refunds', { paymentId: payment.id, amount: 1000 });
    expect(whole.status).toBe(201);
    expect(await amountRefunded(payment.id)).toBe(1000);
    expect(refundedAtStripe(payment.stripePaymentIntentId)).toHaveLength(1);
  });

  it('releases a reservation Stripe was never asked for', async () => {
    const { payment } = await refundNeverReceived(400);
    await db.query('UPDATE refunds SET stripe_first_attempt_at = NULL WHERE payment_id = $1', [payment.id]);
    await ageRefunds(payment.id);
    await expect(job.reconcile()).resolves.toMatchObject({ refundsReleased: 1 });
    expect(await refundRows(payment.id)).toEqual([{ status: 'failed', stripe_refund_id: null }]);
  });

  it('changes nothing twice when runs overlap, in one process and across two', async () => {
    const stuck = [
      await refundLostAfterCommit(300),
      await refundLostAfterCommit(500),
      await refundNeverReceived(200),
    ];
    for (const { payment } of stuck) await ageRefunds(payment.id);
    const other = await createTestApp({
      env: {
        STRIPE_API_URL: harness.emulator.url,
        STRIPE_SECRET_KEY: 'sk_test_e2e',
        STRIPE_WEBHOOK_SECRET: 'whsec_e2e',
        STRIPE_MAX_NETWORK_RETRIES: '0',
      },
    });
    try {
      // Slow Stripe down so the runs really overlap.
      harness.emulator.addLatency(150, { method: 'GET', path: '/v1/refunds' });
      const runs = await Promise.all([
        job.reconcile(),
        job.reconcile(),
        other.app.get(ReconciliationService).reconcile(),
      ]);
      expect(runs.filter((run) => run.ran)).toHaveLength(1);
      const total = (field: 'refundsSettled' | 'refundsReleased') =>
        runs.reduce((sum, run) => sum + run[field], 0);
      expect(total('refundsSettled')).toBe(2);
      expect(total('refundsReleased')).toBe(1);
    } finally {
      await other.close();
    }
    await expect(job.reconcile()).resolves.toMatchObject({ refundsSettled: 0, refundsReleased: 0 });
    expect(await amountRefunded(stuck[0].payment.id)).toBe(300);
    expect(await amountRefunded(stuck[1].payment.id)).toBe(500);
    expect(await amountRefunded(stuck[2].payment.id)).toBe(0);
  });

  it('gives one refund and the right amountRefunded when the job races the client’s retry of a lost refund', async () => {
    for (let round = 0; round < 5; round += 1) {
      const { payment, key } = await refundLostAfterCommit(400);
      await ageRefunds(payment.id);
      const [, retry] = await Promise.all([
        job.reconcile(),
        client.post('/refunds', { paymentId: payment.id, amount: 400 }, key),
      ]);
      expect(retry.status).toBe(201);
      expect(retry.body).toMatchObject({ status: 'succeeded', amount: 400 });
      expect(refundedAtStripe(payment.stripePaymentIntentId)).toHaveLength(1);
      expect(await refundRows(payment.id)).toEqual([
        { status: 'succeeded', stripe_refund_id: retry.body.stripeRefundId },
      ]);
      expect(await amountRefunded(payment.id)).toBe(400);
    }
  });

  it('never releases a refund the client’s retry is having Stripe create', async () => {
    for (let round = 0; round < 5; round += 1) {
      const { payment, key } = await refundNeverReceived(400);
      await ageRefunds(payment.id);
      // Alternate which side starts first; Stripe's latency keeps the retry's call open meanwhile.
      harness.emulator.addLatency(round * 40, { method: 'POST', path: '/v1/refunds' });
      const [, retry] = await Promise.all([
        job.reconcile(),
        client.post('/refunds', { paymentId: payment.id, amount: 400 }, key),
      ]);
      harness.emulator.clearFaults();
      expect(retry.status).toBe(201);
      const atStripe = refundedAtStripe(payment.stripePaymentIntentId);
      expect(atStripe).toHaveLength(1);
      expect(await refundRows(payment.id)).toEqual([
        { status: 'succeeded', stripe_refund_id: atStripe[0]?.id },
      ]);
      expect(await amountRefunded(payment.id)).toBe(400);
    }
  });

  it.each([
    ['succeeded', 'succeeded'],
    ['failed', 'failed'],
  ] as const)('moves a processing payment Stripe has %s to %s', async (outcome, status) => {
    const created = await client.post('/payments/process', {
      amount: 700,
      currency: 'usd',
      paymentMethodId: 'pm_card_processing',
    });
    expect(created.status).toBe(201);
    expect(created.body.status).toBe('processing');
    harness.emulator.settlePaymentIntent(created.body.stripePaymentIntentId, outcome);

    await expect(job.reconcile()).resolves.toMatchObject({ paymentsUpdated: 0 });
    await db.query(`UPDATE payment_transactions SET updated_at = now() - interval '1 hour' WHERE id = $1`, [
      created.body.id,
    ]);
    await expect(job.reconcile()).resolves.toMatchObject({ paymentsUpdated: 1, errors: 0 });
    expect((await client.get(`/payments/${created.body.id}`)).body.status).toBe(status);
    await expect(job.reconcile()).resolves.toMatchObject({ paymentsUpdated: 0 });
  });

  it('leaves a payment Stripe is still processing as it is', async () => {
    const created = await client.post('/payments/process', {
      amount: 700,
      currency: 'usd',
      paymentMethodId: 'pm_card_processing',
    });
    await db.query(`UPDATE payment_transactions SET updated_at = now() - interval '1 hour' WHERE id = $1`, [
      created.body.id,
    ]);
    await expect(job.reconcile()).resolves.toMatchObject({ paymentsUpdated: 0, errors: 0 });
    expect((await client.get(`/payments/${created.body.id}`)).body.status).toBe('processing');
    // Settled now, so later runs in this file see nothing of it.
    harness.emulator.settlePaymentIntent(created.body.stripePaymentIntentId, 'succeeded');
    await job.reconcile();
  });
});

describe('Reconciliation schedule', () => {
  it('runs by itself every RECONCILE_INTERVAL_SECONDS', async () => {
    const harness = await createPaymentsHarness({ RECONCILE_INTERVAL_SECONDS: '1' });
    try {
      const client = new TestClient({ app: harness.app });
      const payment = await client.paidPayment(1000);
      harness.emulator.dropAfterCommit(2, { method: 'POST', path: '/v1/refunds' });
      expect((await client.post('/refunds', { paymentId: payment.id, amount: 250 })).status).toBe(502);
      harness.emulator.clearFaults();
      await harness.app.app.get(DataSource).query(
        `UPDATE refunds SET updated_at = updated_at - interval '1 hour',
             stripe_first_attempt_at = stripe_first_attempt_at - interval '1 hour' WHERE payment_id = $1`,
        [payment.id],
      );
      await eventually(async () => {
        expect((await client.get(`/payments/${payment.id}`)).body.amountRefunded).toBe(250);
      }, 10000);
    } finally {
      await harness.close();
    }
  });
});
