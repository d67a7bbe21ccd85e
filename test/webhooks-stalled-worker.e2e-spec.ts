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

describe('A webhook worker killed mid-event, holding the payment’s row lock', () => {
  const env = {
    DATABASE_URL: process.env.TEST_DATABASE_URL ?? '',
    REDIS_URL: process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379',
    JWT_SECRET: TEST_JWT_SECRET,
    STRIPE_SECRET_KEY: 'sk_test_stalled_worker',
    STRIPE_API_URL: 'http://127.0.0.1:9',
    STRIPE_WEBHOOK_SECRET: WEBHOOK_SECRET,
    // Sweeps all through: a sweep must never run an event a second time.
    WEBHOOK_SWEEP_INTERVAL_SECONDS: '1',
  };
  let api: TestApp;
  let db: DataSource;
  let blocker: PgClient;
  const workers: ServiceProcess[] = [];

  beforeAll(async () => {
    // Receives and enqueues only: every attempt at the event happens in a worker process.
    api = await createTestApp({ env: { ...env, WORKER_MODE: 'api' } });
    db = api.app.get(DataSource);
    blocker = new PgClient({ connectionString: env.DATABASE_URL });
    await blocker.connect();
  });
  afterAll(async () => {
    await blocker?.query('ROLLBACK').catch(() => undefined);
    await Promise.all([...workers.map((worker) => worker.stop()), blocker?.end(), api?.close()]);
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

  /** Whether someone holds the payment's row lock: a probe that cannot take it at once. */
  async function rowLocked(paymentId: string): Promise<boolean> {
    const probe = db.createQueryRunner();
    await probe.connect();
    try {
      await probe.startTransaction();
      await probe.query('SELECT id FROM payment_transactions WHERE id = $1 FOR UPDATE NOWAIT', [paymentId]);
      return false;
    } catch (error) {
      if ((error as { driverError?: { code?: string } }).driverError?.code === '55P03') return true;
      throw error;
    } finally {
      if (probe.isTransactionActive) await probe.rollbackTransaction();
      await probe.release();
    }
  }

  it('is applied exactly once after a restart; the dead worker’s lock goes with it', async () => {
    const paymentId = randomUUID();
    const intentId = `pi_stalled_${paymentId.slice(0, 8)}`;
    await db.query(
      `INSERT INTO payment_transactions (id, tenant_id, user_id, idempotency_key, request_hash, kind, status,
         amount, currency, stripe_payment_intent_id)
       VALUES ($1, $2, 'user-1', $3, $4, 'payment', 'requires_payment_method', 1000, 'usd', $5)`,
      [paymentId, randomUUID(), randomUUID(), 'a'.repeat(64), intentId],
    );
    // An uncommitted event row with the payment's first sequence number: the handler, which holds
    // the payment's row lock and has moved its status, waits on it to record the event.
    await blocker.query('BEGIN');
    await blocker.query(
      `INSERT INTO payment_event_sequence (payment_id, sequence_number, event_id, event_type, event_created)
       VALUES ($1, 1, 'evt_blocker', 'test.blocker', now())`,
      [paymentId],
    );
    const [{ pid: blockerPid }] = (await blocker.query<{ pid: number }>('SELECT pg_backend_pid() AS pid'))
      .rows;

    const first = await startWorker();
    const event = intentEvent('payment_intent.succeeded', { id: intentId, paymentId });
    expect((await deliver(api, event)).body).toEqual({ received: true });

    let workerBackend = 0;
    await waitFor('the first worker to hold the payment and wait to record the event', async () => {
      const waiting = await db.query<Array<{ pid: number }>>(
        'SELECT pid FROM pg_stat_activity WHERE $1 = ANY(pg_blocking_pids(pid))',
        [blockerPid],
      );
      workerBackend = waiting[0]?.pid ?? 0;
      return workerBackend !== 0;
    });
    // The test's blocker holds no lock on the payment: the worker does.
    expect(await rowLocked(paymentId)).toBe(true);
    await expect(inboxState(event.id)).resolves.toEqual({ status: 'processing', attempts: 1 });

    await first.crash();
    await blocker.query('ROLLBACK');
    // PostgreSQL ends the dead worker's session and its transaction: the status it had moved is
    // undone, nothing is recorded, and the row is free.
    await waitFor('the dead worker’s backend to end', async () => {
      const [{ alive }] = await db.query<Array<{ alive: number }>>(
        'SELECT count(*)::int AS alive FROM pg_stat_activity WHERE pid = $1',
        [workerBackend],
      );
      return alive === 0;
    });
    expect(await rowLocked(paymentId)).toBe(false);
    const [untouched] = await db.query<Array<{ status: string }>>(
      'SELECT status FROM payment_transactions WHERE id = $1',
      [paymentId],
    );
    expect(untouched).toEqual({ status: 'requires_payment_method' });
    await expect(inboxState(event.id)).resolves.toEqual({ status: 'processing', attempts: 1 });

    await startWorker();
    // Bull's stalled-job check gives the job back once the dead worker's Redis lock has lapsed
    // (lockDuration 30 s, checked every 5 s); the sweeper leaves a job Bull still holds alone.
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
    const applied = await db.query<Array<{ sequence_number: number; event_id: string }>>(
      'SELECT sequence_number, event_id FROM payment_event_sequence WHERE payment_id = $1',
      [paymentId],
    );
    expect(applied).toEqual([{ sequence_number: 1, event_id: event.id }]);
    expect(await rowLocked(paymentId)).toBe(false);
  }, 150000);
});
