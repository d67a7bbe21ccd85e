import { randomUUID } from 'node:crypto';
import { Client } from 'pg';
import type Redis from 'ioredis';
import { DataSource } from 'typeorm';
import { idempotencyCacheKeys } from '../src/idempotency/idempotency.cache';
import { scopeId } from '../src/idempotency/idempotency-scope';
import { REDIS_CLIENT } from '../src/redis/redis.constants';
import { PaymentsHarness, usePaymentsHarness } from './support/payments-app';
import { TestClient } from './support/test-client';
import { eventually } from './support/time';

const visa = { amount: 1000, currency: 'usd', paymentMethodId: 'pm_card_visa' };
const PAYMENT_TABLES = /payment_transactions|payment_idempotency/;

/**
 * A statement log of the service's connections, kept at the driver: counts the commits that
 * wrote or read the payment tables — a transaction's COMMIT, or a statement sent outside one.
 */
class CommitLog {
  private readonly transactions = new WeakMap<Client, { touched: boolean }>();
  private spy: jest.SpyInstance | undefined;
  commits = 0;

  start(): void {
    const original = Client.prototype.query as (...args: unknown[]) => unknown;
    const onStatement = (client: Client, text: string) => this.onStatement(client, text);
    this.spy = jest.spyOn(Client.prototype, 'query').mockImplementation(function (
      this: Client,
      ...args: unknown[]
    ) {
      const [query] = args;
      const text = typeof query === 'string' ? query : (query as { text?: string } | undefined)?.text;
      if (text !== undefined) onStatement(this, text);
      return original.apply(this, args);
    });
  }

  stop(): void {
    this.spy?.mockRestore();
  }

  private onStatement(client: Client, text: string): void {
    const statement = text.trim().toUpperCase();
    const transaction = this.transactions.get(client);
    if (statement.startsWith('START TRANSACTION') || statement.startsWith('BEGIN')) {
      this.transactions.set(client, { touched: false });
    } else if (statement === 'COMMIT') {
      if (transaction?.touched) this.commits++;
      this.transactions.delete(client);
    } else if (statement === 'ROLLBACK') {
      this.transactions.delete(client);
    } else if (PAYMENT_TABLES.test(text)) {
      if (transaction) transaction.touched = true;
      else this.commits++;
    }
  }
}

describe('Commits of a new payment', () => {
  const current = usePaymentsHarness();
  let harness: PaymentsHarness;
  let client: TestClient;
  let dataSource: DataSource;
  beforeEach(() => {
    ({ harness, client } = current());
    dataSource = harness.app.app.get(DataSource);
  });

  const commitsOf = async (send: () => Promise<{ status: number }>) => {
    const log = new CommitLog();
    log.start();
    try {
      return { response: await send(), commits: log.commits };
    } finally {
      log.stop();
    }
  };
  const keyRecords = async (key: string): Promise<Array<{ status: string }>> =>
    dataSource.query('SELECT status FROM payment_idempotency WHERE tenant_id = $1 AND idempotency_key = $2', [
      client.tenantId,
      key,
    ]);
  const paymentRows = async (): Promise<
    Array<{ stamped: boolean; stripe_payment_intent_id: string | null }>
  > =>
    dataSource.query(
      `SELECT stripe_first_attempt_at IS NOT NULL AS stamped, stripe_payment_intent_id
       FROM payment_transactions WHERE tenant_id = $1`,
      [client.tenantId],
    );
  /** The service's own sessions on the test database that sit inside a transaction. */
  const openTransactions = async (): Promise<number> => {
    const rows: Array<{ count: string }> = await dataSource.query(
      `SELECT count(*) FROM pg_stat_activity
       WHERE datname = current_database() AND pid <> pg_backend_pid() AND state LIKE 'idle in transaction%'`,
    );
    return Number(rows[0].count);
  };

  it('commits a new payment twice: the claim with the row, then the row’s completion with the key’s', async () => {
    const { response, commits } = await commitsOf(() => client.post('/payments/process', visa));
    expect(response.status).toBe(201);
    expect(commits).toBe(2);
  });

  it('commits a new fee and a new intent twice each', async () => {
    const fee = await commitsOf(() => client.post('/payments/fees', visa));
    expect(fee.response.status).toBe(201);
    expect(fee.commits).toBe(2);
    const intent = await commitsOf(() => client.post('/intents', { amount: 1000, currency: 'usd' }));
    expect(intent.response.status).toBe(201);
    expect(intent.commits).toBe(2);
  });

  it('settles a handler that writes nothing in one commit (404 CUSTOMER_NOT_FOUND: not stored)', async () => {
    const key = randomUUID();
    const { response, commits } = await commitsOf(() =>
      client.post('/payments/process', { ...visa, customerId: 'cus_unknown' }, key),
    );
    expect(response.status).toBe(404);
    expect(commits).toBe(1);
    expect(await keyRecords(key)).toEqual([]);
  });

  it('has the claim and the stamped row committed, and no transaction open, while Stripe is called', async () => {
    harness.emulator.injectFault({ kind: 'latency', ms: 1500, method: 'POST', path: '/v1/payment_intents' });
    const key = randomUUID();
    const payment = client.post('/payments/process', visa, key).then((response) => response);

    await eventually(async () => expect(await keyRecords(key)).toEqual([{ status: 'in_progress' }]));
    expect(await paymentRows()).toEqual([{ stamped: true, stripe_payment_intent_id: null }]);
    expect(await openTransactions()).toBe(0);

    expect((await payment).status).toBe(201);
    expect(await keyRecords(key)).toEqual([{ status: 'completed' }]);
  });

  it('answers the completed row exactly as it is stored, though it does not read it back', async () => {
    const created = await client.post('/payments/process', visa);
    expect(created.status).toBe(201);
    const stored = await client.get(`/payments/${created.body.id}`);
    expect(stored.status).toBe(200);
    expect(stored.body).toEqual(created.body);
  });

  it('commits nothing of the second transaction when PostgreSQL refuses the row’s completion', async () => {
    // The completion is written without waiting for its answer, with the key's: refuse it.
    await dataSource.query(`
      CREATE OR REPLACE FUNCTION refuse_payment_intent_link() RETURNS trigger AS $$
      BEGIN RAISE EXCEPTION 'refused by the test'; END $$ LANGUAGE plpgsql`);
    await dataSource.query(`
      CREATE TRIGGER refuse_payment_intent_link BEFORE UPDATE OF stripe_payment_intent_id
      ON payment_transactions FOR EACH ROW WHEN (NEW.stripe_payment_intent_id IS NOT NULL)
      EXECUTE FUNCTION refuse_payment_intent_link()`);
    const before = harness.emulator.stats().paymentIntentsCreated;
    const key = randomUUID();
    try {
      const refused = await client.post('/payments/process', visa, key);
      expect(refused.status).toBe(500);
      // Neither the completion of the row nor that of the key: the key is free, the row waits.
      expect(await keyRecords(key)).toEqual([]);
      expect(await paymentRows()).toEqual([{ stamped: true, stripe_payment_intent_id: null }]);
    } finally {
      await dataSource.query('DROP TRIGGER refuse_payment_intent_link ON payment_transactions');
      await dataSource.query('DROP FUNCTION refuse_payment_intent_link()');
    }

    const retry = await client.post('/payments/process', visa, key);
    expect(retry.status).toBe(201);
    expect(await paymentRows()).toEqual([
      { stamped: true, stripe_payment_intent_id: retry.body.stripePaymentIntentId },
    ]);
    expect(harness.emulator.stats().paymentIntentsCreated - before).toBe(1);
  });

  it('leaves the claim and the row for the retry when Stripe fails between the two commits', async () => {
    harness.emulator.injectFault({ kind: 'fail', status: 500, method: 'POST', path: '/v1/payment_intents' });
    const before = harness.emulator.stats().paymentIntentsCreated;
    const key = randomUUID();
    const failed = await client.post('/payments/process', visa, key);
    expect(failed.status).toBe(502);
    // A 5xx is not stored: the key is free again, and recovery point 1 stays for the retry.
    expect(await keyRecords(key)).toEqual([]);
    expect(await paymentRows()).toEqual([{ stamped: true, stripe_payment_intent_id: null }]);

    const retry = await client.post('/payments/process', visa, key);
    expect(retry.status).toBe(201);
    expect(await paymentRows()).toEqual([
      { stamped: true, stripe_payment_intent_id: retry.body.stripePaymentIntentId },
    ]);
    expect(harness.emulator.stats().paymentIntentsCreated - before).toBe(1);
  });

  it('writes neither the claim nor the row when the connection dies before the first commit', async () => {
    const key = randomUUID();
    // Hold the row's insert back: the claim is written, the insert waits on the table lock.
    const blocker = new Client({ connectionString: process.env.TEST_DATABASE_URL });
    await blocker.connect();
    try {
      await blocker.query('BEGIN');
      await blocker.query('LOCK TABLE payment_transactions IN SHARE MODE');
      const payment = client.post('/payments/process', visa, key).then((response) => response);
      // Read outside the blocker's transaction, which would keep seeing one snapshot of the activity.
      const waiting = async (): Promise<number[]> => {
        const rows: Array<{ pid: number }> = await dataSource.query(
          `SELECT pid FROM pg_stat_activity
           WHERE datname = current_database() AND wait_event_type = 'Lock'
             AND query LIKE '%INSERT INTO%payment_transactions%'`,
        );
        return rows.map((row) => row.pid);
      };
      await eventually(async () => expect(await waiting()).toHaveLength(1));
      // The claim is not visible to anyone while its transaction is open.
      expect(await keyRecords(key)).toEqual([]);

      await blocker.query('SELECT pg_terminate_backend($1)', [(await waiting())[0]]);
      await blocker.query('ROLLBACK');
      expect((await payment).status).toBeGreaterThanOrEqual(500);
    } finally {
      await blocker.end();
    }
    expect(await keyRecords(key)).toEqual([]);
    expect(await paymentRows()).toEqual([]);

    const retry = await client.post('/payments/process', visa, key);
    expect(retry.status).toBe(201);
    expect(await paymentRows()).toHaveLength(1);
  });

  it('answers from the key’s record, charging nothing, when its claim went with the first statement and claimed nothing', async () => {
    // Redis loses a completed key's response (flushed, failed over): a retry finds the marker
    // free, so its claim goes with the row's insert, and PostgreSQL refuses it.
    const redis = harness.app.app.get<Redis>(REDIS_CLIENT);
    const key = randomUUID();
    const { response: cached } = idempotencyCacheKeys(
      scopeId({ tenantId: client.tenantId, userId: client.userId, key }),
    );
    const redisLosesIt = async () => {
      await eventually(async () => expect(await redis.exists(cached)).toBe(1));
      await redis.del(cached);
    };
    const first = await client.post('/payments/process', visa, key);
    expect(first.status).toBe(201);
    const before = harness.emulator.stats().paymentIntentsCreated;

    await redisLosesIt();
    const again = await client.post('/payments/process', visa, key);
    await redisLosesIt();
    const other = await client.post('/payments/process', { ...visa, amount: 2000 }, key);

    expect(again.status).toBe(201);
    expect(again.headers['idempotent-replayed']).toBe('true');
    expect(again.body).toEqual(first.body);
    expect(other.status).toBe(422);
    expect(other.body.code).toBe('IDEMPOTENCY_KEY_MISMATCH');
    expect(harness.emulator.stats().paymentIntentsCreated - before).toBe(0);
    expect(await paymentRows()).toHaveLength(1);
    expect(await keyRecords(key)).toEqual([{ status: 'completed' }]);
    expect(await openTransactions()).toBe(0);
  });
});
