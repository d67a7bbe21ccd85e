import { DataSource } from 'typeorm';
import type { StripeEvent } from '../packages/stripe-emulator/src/index';
import { ReconciliationService } from '../src/reconciliation/reconciliation.service';
import { createPaymentsHarness, PaymentsHarness } from './support/payments-app';
import { between, seededRandom, seedFrom, shuffle } from './support/random';
import { deliverAndSettle, ledgerOf, linkedRefunds, refundEventsOf, truthOf } from './support/refund-truth';
import { TestClient } from './support/test-client';

const INTERLEAVINGS = 50;
const AMOUNT = 1000;

interface Interleaving {
  index: number;
  payment: { id: string; stripePaymentIntentId: string };
  /** Stripe's events for the payment already delivered, by id. */
  delivered: Set<string>;
  steps: string[];
}

/**
 * Random interleavings of what happens to a payment's refunds: refunds through the API (some
 * lost to an outage before or after Stripe made them), refunds made outside it, refunds that
 * start pending, settle, fail or bounce after succeeding, and Stripe's events delivered late,
 * twice and in any order. However it went, once every event has arrived the ledger is Stripe's;
 * one reconciliation run then settles what the outages left unknown.
 */
describe('Refunds under random interleavings of requests, outside refunds, failures and events', () => {
  let harness: PaymentsHarness;
  let db: DataSource;
  let client: TestClient;

  beforeAll(async () => {
    harness = await createPaymentsHarness({ WEBHOOK_SWEEP_INTERVAL_SECONDS: '1' });
    db = harness.app.app.get(DataSource);
    client = new TestClient({ app: harness.app });
  });
  afterAll(() => harness.close());

  it(`ends at Stripe's truth after ${INTERLEAVINGS} interleavings`, async () => {
    const random = seededRandom(seedFrom('REFUND_INTERLEAVING_SEED', 'refund interleavings'));
    const runs: Interleaving[] = [];
    for (let index = 0; index < INTERLEAVINGS; index += 1) {
      const run: Interleaving = {
        index,
        payment: await client.paidPayment(AMOUNT),
        delivered: new Set(),
        steps: [],
      };
      for (let step = between(random, 4, 9); step > 0; step -= 1) await act(run, random);
      runs.push(run);
    }
    for (const run of runs) await deliverRest(run, random);
    // The seed must have made every kind of thing happen somewhere, or the test proves little.
    const steps = runs.flatMap((run) => run.steps).join('\n');
    for (const kind of [
      '(lost before Stripe)',
      '(answer lost)',
      'api refund',
      'dashboard refund',
      '-> failed',
      'pending',
    ]) {
      expect({ kind, seen: steps.includes(kind) }).toEqual({ kind, seen: true });
    }

    const disagreements = [];
    for (const run of runs) {
      const view = await ledgerOf(client, run.payment.id);
      const truth = truthOf(harness.emulator, run.payment.stripePaymentIntentId);
      const ours = { amountRefunded: view.amountRefunded, refunds: linkedRefunds(view) };
      if (JSON.stringify(ours) !== JSON.stringify(truth)) {
        disagreements.push({ index: run.index, steps: run.steps, ours, truth });
      }
    }
    expect(disagreements).toEqual([]);

    // The outages left API refunds whose outcome is unknown: one reconciliation run settles them.
    await db.query(
      `UPDATE refunds SET updated_at = updated_at - interval '1 hour',
         stripe_first_attempt_at = stripe_first_attempt_at - interval '1 hour'
       WHERE payment_id = ANY($1) AND status = 'pending' AND stripe_refund_id IS NULL`,
      [runs.map((run) => run.payment.id)],
    );
    const reconciled = await harness.app.app.get(ReconciliationService).reconcile();
    expect(reconciled).toMatchObject({ errors: 0 });
    expect(reconciled.refundsReleased).toBeGreaterThan(0);
    for (const run of runs) {
      const view = await ledgerOf(client, run.payment.id);
      expect({ index: run.index, amountRefunded: view.amountRefunded, refunds: linkedRefunds(view) }).toEqual(
        {
          index: run.index,
          ...truthOf(harness.emulator, run.payment.stripePaymentIntentId),
        },
      );
      expect(
        view.refunds.filter((refund) => refund.stripeRefundId === null && refund.status === 'pending'),
      ).toEqual([]);
    }
  }, 240000);

  /** One random thing happening to the payment, at Stripe or through the API. */
  async function act(run: Interleaving, random: () => number): Promise<void> {
    const pi = run.payment.stripePaymentIntentId;
    const atStripe = harness.emulator.refunds().filter((refund) => refund.payment_intent === pi);
    const left = AMOUNT - truthOf(harness.emulator, pi).amountRefunded;
    const choice = between(random, 0, 5);
    if (choice <= 1 && left > 0) {
      const amount = between(random, 1, Math.min(left, 400));
      const outage = between(random, 0, 5);
      if (outage === 0) harness.emulator.failNext(1, 503, { method: 'POST', path: '/v1/refunds' });
      if (outage === 1) harness.emulator.dropAfterCommit(2, { method: 'POST', path: '/v1/refunds' });
      harness.emulator.setRefundInitialStatus(random() < 0.3 ? 'pending' : 'succeeded');
      const response = await client.post('/refunds', { paymentId: run.payment.id, amount });
      harness.emulator.clearFaults();
      run.steps.push(
        `api refund ${amount}${[' (lost before Stripe)', ' (answer lost)'][outage] ?? ''}: ${response.status}`,
      );
      return;
    }
    if (choice === 2 && left > 0) {
      const amount = between(random, 1, Math.min(left, 300));
      const status = random() < 0.3 ? 'pending' : 'succeeded';
      harness.emulator.createDashboardRefund({ paymentIntent: pi, amount, status });
      run.steps.push(`dashboard refund ${amount} ${status}`);
      return;
    }
    const movable = atStripe.filter((refund) => refund.status === 'pending' || refund.status === 'succeeded');
    if (choice === 3 && movable.length > 0) {
      const target = movable[between(random, 0, movable.length - 1)];
      const status = target.status === 'pending' && random() < 0.5 ? 'succeeded' : 'failed';
      harness.emulator.updateRefundStatus(target.id, status, status === 'failed' ? 'declined' : undefined);
      run.steps.push(`${target.id} ${target.status} -> ${status}`);
      return;
    }
    await deliverSome(run, random);
  }

  /** A random handful of the payment's undelivered events, in a random order, some of them twice. */
  async function deliverSome(run: Interleaving, random: () => number): Promise<void> {
    const waiting = undelivered(run);
    const some = shuffle(waiting, random).slice(0, between(random, 0, waiting.length));
    const twice = some.filter(() => random() < 0.2);
    await deliverAndSettle(harness.app, db, shuffle([...some, ...twice], random));
    for (const event of some) run.delivered.add(event.id);
    run.steps.push(`delivered ${some.map((event) => event.type).join(', ') || 'nothing'}`);
  }

  async function deliverRest(run: Interleaving, random: () => number): Promise<void> {
    const rest = shuffle(undelivered(run), random);
    await deliverAndSettle(harness.app, db, rest);
    for (const event of rest) run.delivered.add(event.id);
  }

  function undelivered(run: Interleaving): StripeEvent[] {
    return refundEventsOf(harness.emulator, run.payment.stripePaymentIntentId).filter(
      (event) => !run.delivered.has(event.id),
    );
  }
});
