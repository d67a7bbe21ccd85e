import { randomUUID } from 'node:crypto';
import { Client as PgClient } from 'pg';
import type Stripe from 'stripe';
import { StripeEmulator } from '../packages/stripe-emulator/src/index';
import { runCli } from './support/cli-process';
import { dropDatabase, siblingDatabaseUrl } from './support/databases';
import { stripeClientFor } from './support/payments-app';

/**
 * `npm run cli -- reconcile [--dry-run]` as an operator runs it, against a Stripe (the emulator)
 * and a database of its own, so nothing another suite left behind is reconciled with it.
 */
describe('npm run cli -- reconcile', () => {
  const databaseUrl = siblingDatabaseUrl('cli_reconcile');
  let emulator: StripeEmulator;
  let stripe: Stripe;
  let db: PgClient;
  const env = () => ({
    DATABASE_URL: databaseUrl,
    STRIPE_API_URL: emulator.url,
    STRIPE_SECRET_KEY: 'sk_test_cli',
  });

  beforeAll(async () => {
    emulator = new StripeEmulator({ port: 0, logger: { log: () => undefined, warn: () => undefined } });
    await emulator.start();
    stripe = stripeClientFor(emulator);
    // The CLI creates and migrates the database as the service does at boot.
    const first = await runCli(['reconcile'], env());
    expect(first.code).toBe(0);
    db = new PgClient({ connectionString: databaseUrl });
    await db.connect();
  }, 60000);
  afterAll(async () => {
    await db?.end();
    await emulator?.stop();
    await dropDatabase(databaseUrl);
  });

  /** A payment of ours whose PaymentIntent Stripe has refunded 300 of, outside the API, unknown to the ledger. */
  async function plantedMismatch() {
    const intent = await stripe.paymentIntents.create({
      amount: 1000,
      currency: 'usd',
      payment_method: 'pm_card_visa',
      confirm: true,
    });
    const refund = await stripe.refunds.create({ payment_intent: intent.id, amount: 300 });
    const paymentId = randomUUID();
    await db.query(
      `INSERT INTO payment_transactions (id, tenant_id, user_id, idempotency_key, request_hash, kind, status,
         amount, currency, stripe_payment_intent_id)
       VALUES ($1, $2, 'user-1', $3, $4, 'payment', 'succeeded', 1000, 'usd', $5)`,
      [paymentId, randomUUID(), randomUUID(), 'a'.repeat(64), intent.id],
    );
    return { paymentId, refund };
  }

  const snapshot = async () => ({
    payments: (await db.query('SELECT * FROM payment_transactions ORDER BY id')).rows,
    refunds: (await db.query('SELECT * FROM refunds ORDER BY id')).rows,
  });

  it('--dry-run prints each mismatch (payment, ours, Stripe’s) and leaves every row unchanged', async () => {
    const { paymentId, refund } = await plantedMismatch();
    const before = await snapshot();

    const result = await runCli(['reconcile', '--dry-run'], env());

    expect(result.code).toBe(0);
    expect(result.stdout).toContain(`mismatch payment=${paymentId} refunded ours=0 stripe=300\n`);
    expect(result.stdout).toContain(`  refund ${refund.id} 300 ours=none stripe=succeeded\n`);
    expect(result.stdout).toMatch(/^payments whose refunds differ from Stripe's: 1$/m);
    expect(result.stdout).toMatch(/^dry run: nothing was changed$/m);
    expect(await snapshot()).toEqual(before);
  });

  it('without --dry-run repairs the ledger, and a run after it finds nothing', async () => {
    const { paymentId, refund } = await plantedMismatch();
    // The previous test's payment is still unrepaired: it is repaired with this one.
    const repaired = await runCli(['reconcile'], env());
    expect(repaired.code).toBe(0);
    expect(repaired.stdout).toContain(`mismatch payment=${paymentId} refunded ours=0 stripe=300\n`);
    expect(repaired.stdout).not.toContain('dry run');

    const rows = await db.query(
      'SELECT amount, status, source, stripe_refund_id FROM refunds WHERE payment_id = $1',
      [paymentId],
    );
    expect(rows.rows).toEqual([
      { amount: 300, status: 'succeeded', source: 'outside', stripe_refund_id: refund.id },
    ]);
    const payment = await db.query('SELECT amount_refunded, status FROM payment_transactions WHERE id = $1', [
      paymentId,
    ]);
    expect(payment.rows).toEqual([{ amount_refunded: 300, status: 'partially_refunded' }]);

    const again = await runCli(['reconcile', '--dry-run'], env());
    expect(again.stdout).not.toContain('mismatch');
    expect(again.stdout).toMatch(/^payments whose refunds differ from Stripe's: 0$/m);
  });
});
