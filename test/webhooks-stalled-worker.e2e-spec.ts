import { randomUUID } from 'node:crypto';
import { Client as PgClient } from 'pg';
import { DataSource } from 'typeorm';
import { ServiceProcess } from './support/service-process';
import { deliver, intentEvent, WEBHOOK_SECRET, waitFor } from './support/stripe-events';
import { createTestApp, TEST_JWT_SECRET, TestApp } from './support/test-app';

interface InboxState {
  status: string;
  attempts: number;
}

describe('A webhook worker killed mid-event', () => {
  const env = {
    DATABASE_URL: process.env.TEST_DATABASE_URL ?? '',
    REDIS_URL: process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379',
    JWT_SECRET: TEST_JWT_SECRET,
    STRIPE_SECRET_KEY: 'sk_test_stalled_worker',
    STRIPE_API_URL: 'http://127.0.0.1:9',
    STRIPE_WEBHOOK_SECRET: WEBHOOK_SECRET,
    WEBHOOK_SWEEP_INTERVAL_SECONDS: '1',
  };
  let api: TestApp;
  let db: DataSource;
  let locker: PgClient;
  const workers: ServiceProcess[] = [];

  beforeAll(async () => {
    // Receives and enqueues only: every attempt at the event happens in a worker process.
    api = await createTestApp({ env: { ...env, WORKER_MODE: 'api' } });
    db = api.app.get(DataSource);
    locker = new PgClient({ connectionString: env.DATABASE_URL });
    await locker.connect();
  });
  afterAll(async () => {
    await locker?.query('ROLLBACK').catch(() => undefined);
    await Promise.all([...workers.map((worker) => worker.stop()), locker?.end(), api?.close()]);
  });

  async function startWorker(): Promise<ServiceProcess> {
    const worker = await ServiceProcess.start({ ...env, WORKER_MODE: 'worker' });
    workers.push(worker);
    return worker;
  }

  async function inboxState(eventId: string): Promise<InboxState | undefined> {
    const [row] = await db.query<InboxState[]>(
      'SELECT status, attempts FROM webhook_inbox WHERE event_id = $1',
      [eventId],
    );
    return row;
  }

  it('is processed by another worker, its effect applied once', async () => {
    const paymentId = randomUUID();
    const intentId = `pi_stalled_${paymentId.slice(0, 8)}`;
    await db.query(
      `INSERT INTO payment_transactions (id, tenant_id, user_id, idempotency_key, request_hash, kind, status,
         amount, currency, stripe_payment_intent_id)
       VALUES ($1, $2, 'user-1', $3, $4, 'payment', 'requires_payment_method', 1000, 'usd', $5)`,
      [paymentId, randomUUID(), randomUUID(), 'a'.repeat(64), intentId],
    );
    // Holding the payment's row lock stops the handler inside its transaction, before any effect.
    await locker.query('BEGIN');
    await locker.query('SELECT id FROM payment_transactions WHERE id = $1 FOR UPDATE', [paymentId]);
    const [{ pid: lockerPid }] = (await locker.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows;

    const first = await startWorker();
    const event = intentEvent('payment_intent.succeeded', { id: intentId, paymentId });
    expect((await deliver(api, event)).body).toEqual({ received: true });

    await waitFor('the first worker to begin the event', async () => {
      const state = await inboxState(event.id);
      return state?.status === 'processing';
    });
    await waitFor('the first worker to wait on the payment lock', async () => {
      const [{ waiting }] = await db.query<Array<{ waiting: number }>>(
        'SELECT count(*)::int AS waiting FROM pg_stat_activity WHERE $1 = ANY(pg_blocking_pids(pid))',
        [lockerPid],
      );
      return waiting > 0;
    });
    await first.crash();
    await locker.query('COMMIT');
    // The killed attempt applied nothing and its Bull job is left active under a lock nobody renews.
    await expect(inboxState(event.id)).resolves.toEqual({ status: 'processing', attempts: 1 });

    await startWorker();
    // Bull's stalled-job check moves the job back to waiting once its lock expires (lockDuration
    // 30 s, checked every 30 s); the sweeper leaves a job Bull still lists as active alone.
    await waitFor(
      'the event to be processed by the second worker',
      async () => (await inboxState(event.id))?.status === 'processed',
      100000,
    );

    await expect(inboxState(event.id)).resolves.toEqual({ status: 'processed', attempts: 2 });
    const [payment] = await db.query<Array<{ status: string }>>(
      'SELECT status FROM payment_transactions WHERE id = $1',
      [paymentId],
    );
    expect(payment).toEqual({ status: 'succeeded' });
    const applied = await db.query<Array<{ sequence_number: number }>>(
      'SELECT sequence_number FROM payment_event_sequence WHERE payment_id = $1 AND event_id = $2',
      [paymentId, event.id],
    );
    expect(applied).toEqual([{ sequence_number: 1 }]);
  }, 150000);
});
