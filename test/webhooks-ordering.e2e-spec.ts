import { randomUUID } from 'node:crypto';
import type Stripe from 'stripe';
import { DataSource } from 'typeorm';
import type { StripeEmulator, StripeEvent } from '../packages/stripe-emulator/src/index';
import { createPaymentsHarness, PaymentsHarness, stripeClientFor } from './support/payments-app';
import { seededRandom, seedFrom, shuffle } from './support/random';
import { deliverAndSettle } from './support/refund-truth';

interface Scenario {
  name: string;
  /** Takes a new PaymentIntent through its life at Stripe; answers its id. */
  play: (stripe: Stripe, emulator: StripeEmulator) => Promise<string>;
  /** Where Stripe says the payment ends. */
  final: { status: string; amountRefunded: number };
}

const confirmed = (stripe: Stripe, paymentMethod: string) =>
  stripe.paymentIntents.create({
    amount: 1000,
    currency: 'usd',
    payment_method: paymentMethod,
    confirm: true,
  });
const confirmAgain = (stripe: Stripe, id: string, paymentMethod: string) =>
  stripe.paymentIntents.confirm(id, { payment_method: paymentMethod });

const SCENARIOS: Scenario[] = [
  {
    name: 'succeeds, then is refunded in two parts',
    play: async (stripe, emulator) => {
      const { id } = await confirmed(stripe, 'pm_card_processing');
      emulator.settlePaymentIntent(id, 'succeeded');
      await stripe.refunds.create({ payment_intent: id, amount: 300 });
      await stripe.refunds.create({ payment_intent: id, amount: 700 });
      return id;
    },
    final: { status: 'refunded', amountRefunded: 1000 },
  },
  {
    name: 'fails, then succeeds with another attempt',
    play: async (stripe, emulator) => {
      const { id } = await confirmed(stripe, 'pm_card_processing');
      emulator.settlePaymentIntent(id, 'failed');
      await confirmAgain(stripe, id, 'pm_card_processing');
      emulator.settlePaymentIntent(id, 'succeeded');
      return id;
    },
    final: { status: 'succeeded', amountRefunded: 0 },
  },
  {
    name: 'asks for authentication, processes, fails',
    play: async (stripe, emulator) => {
      const { id } = await confirmed(stripe, 'pm_card_authenticationRequired');
      await confirmAgain(stripe, id, 'pm_card_processing');
      emulator.settlePaymentIntent(id, 'failed');
      return id;
    },
    final: { status: 'failed', amountRefunded: 0 },
  },
  {
    name: 'fails, retries, is still processing',
    play: async (stripe, emulator) => {
      const { id } = await confirmed(stripe, 'pm_card_processing');
      emulator.settlePaymentIntent(id, 'failed');
      await confirmAgain(stripe, id, 'pm_card_authenticationRequired');
      await confirmAgain(stripe, id, 'pm_card_processing');
      return id;
    },
    final: { status: 'processing', amountRefunded: 0 },
  },
  {
    name: 'is abandoned at authentication and canceled',
    play: async (stripe) => {
      const { id } = await confirmed(stripe, 'pm_card_authenticationRequired');
      await stripe.paymentIntents.cancel(id);
      return id;
    },
    final: { status: 'canceled', amountRefunded: 0 },
  },
  {
    name: 'succeeds and is partly refunded',
    play: async (stripe) => {
      const { id } = await confirmed(stripe, 'pm_card_visa');
      await stripe.refunds.create({ payment_intent: id, amount: 400 });
      return id;
    },
    final: { status: 'partially_refunded', amountRefunded: 400 },
  },
];

const PERMUTATIONS = 60;

/** The PaymentIntent an event is about, whatever its object. */
function intentOf(event: StripeEvent): string | undefined {
  const object = event.data.object as { object: string; id: string; payment_intent?: string };
  return object.object === 'payment_intent' ? object.id : object.payment_intent;
}

describe('Webhook ordering', () => {
  let harness: PaymentsHarness;
  let db: DataSource;
  let stripe: Stripe;

  beforeAll(async () => {
    harness = await createPaymentsHarness({ WEBHOOK_SWEEP_INTERVAL_SECONDS: '1' });
    db = harness.app.app.get(DataSource);
    stripe = stripeClientFor(harness.emulator);
  });
  afterAll(() => harness.close());

  it(`any delivery order ends in the state Stripe reports (${PERMUTATIONS} seeded orders)`, async () => {
    const random = seededRandom(seedFrom('WEBHOOK_ORDER_SEED', 'webhook ordering'));
    const tenantId = randomUUID();
    const base = Math.floor(Date.now() / 1000) - 100;
    const runs = [];
    for (let index = 0; index < PERMUTATIONS; index += 1) {
      const scenario = SCENARIOS[index % SCENARIOS.length];
      const paymentId = randomUUID();
      const intentId = await scenario.play(stripe, harness.emulator);
      // Stripe stamps events by the second; here they are one second apart, in the order Stripe made them.
      const events = harness.emulator
        .events()
        .filter((event) => intentOf(event) === intentId)
        .map((event, step) => ({ ...event, created: base + step }));
      // A payment created by the API, its PaymentIntent sent for confirmation.
      await db.query(
        `INSERT INTO payment_transactions (id, tenant_id, user_id, idempotency_key, request_hash, kind, status,
           amount, currency, stripe_payment_intent_id)
         VALUES ($1, $2, 'user-1', $3, $4, 'payment', 'requires_payment_method', 1000, 'usd', $5)`,
        [paymentId, tenantId, randomUUID(), 'a'.repeat(64), intentId],
      );
      runs.push({ scenario, paymentId, order: shuffle(events, random) });
    }
    // Each payment's events in its shuffled order, the payments side by side.
    await Promise.all(runs.map((run) => deliverAndSettle(harness.app, db, run.order)));

    const rows = await db.query<Array<{ id: string; status: string; amount_refunded: number }>>(
      'SELECT id, status, amount_refunded FROM payment_transactions WHERE tenant_id = $1',
      [tenantId],
    );
    const byId = new Map(rows.map((row) => [row.id, row]));
    const mismatches = runs
      .map((run) => ({
        scenario: run.scenario.name,
        order: run.order.map((event) => `${event.type}@${event.created - base}`),
        expected: run.scenario.final,
        got: {
          status: byId.get(run.paymentId)?.status,
          amountRefunded: byId.get(run.paymentId)?.amount_refunded,
        },
      }))
      .filter(
        (result) =>
          result.got.status !== result.expected.status ||
          result.got.amountRefunded !== result.expected.amountRefunded,
      );
    expect(mismatches).toEqual([]);
  });
});
