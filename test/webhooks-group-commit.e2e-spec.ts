import { randomUUID } from 'node:crypto';
import { getQueueToken } from '@nestjs/bull';
import Bull, { type Queue } from 'bull';
import Redis from 'ioredis';
import { DataSource } from 'typeorm';
import { WebhookInboxBatcher } from '../src/webhooks/webhook-inbox.batcher';
import type { VerifiedEvent } from '../src/webhooks/webhook-signature.verifier';
import { queuePrefix } from '../src/redis/bull-queue-options';
import { STRIPE_WEBHOOK_QUEUE } from '../src/webhooks/webhooks.constants';
import { deliver, stripeEvent, waitFor } from './support/stripe-events';
import { TcpProxy } from './support/tcp-proxy';
import { createTestApp, TestApp } from './support/test-app';
import { sleep } from './support/time';

/** The batcher's one statement (and commit), spied on to count and inspect the batches. */
type Batches = { insert(events: readonly VerifiedEvent[]): Promise<string[]> };

describe('Stripe webhooks: concurrent receipts share a commit', () => {
  let app: TestApp;
  let db: DataSource;
  let queue: Queue;

  beforeAll(async () => {
    // No processor in this process: rows stay `pending`, and only receipts write to the inbox.
    app = await createTestApp({ env: { STRIPE_WEBHOOK_SECRET: 'whsec_e2e', WORKER_MODE: 'api' } });
    db = app.app.get(DataSource);
    queue = app.app.get<Queue>(getQueueToken(STRIPE_WEBHOOK_QUEUE));
  });
  afterAll(() => app.close());
  afterEach(() => jest.restoreAllMocks());

  const spyOnStatements = () => jest.spyOn(WebhookInboxBatcher.prototype as unknown as Batches, 'insert');
  const spyOnReceipts = () => jest.spyOn(WebhookInboxBatcher.prototype, 'store');
  const rowsOf = async (eventIds: string[]) => {
    const [{ count }] = await db.query<Array<{ count: string }>>(
      'SELECT count(*) FROM webhook_inbox WHERE event_id = ANY($1)',
      [eventIds],
    );
    return Number(count);
  };
  const event = () => stripeEvent('customer.created', { id: 'cus_group', object: 'customer' });

  /**
   * Keeps one receipt's statement in flight: another transaction holds an uncommitted row with
   * its event id, so the insert waits on it. Receipts arriving meanwhile gather in the next batch.
   */
  const holdAStatement = async () => {
    const blocker = event();
    const holder = db.createQueryRunner();
    await holder.connect();
    await holder.startTransaction();
    await holder.query(
      `INSERT INTO webhook_inbox (event_id, type, payload) VALUES ($1, 'customer.created', '{}')`,
      [blocker.id],
    );
    let answered = false;
    const response = deliver(app, blocker).then((answer) => {
      answered = true;
      return answer;
    });
    await waitFor('the held statement to be waiting on the lock', async () => {
      const [{ waiting }] = await db.query<Array<{ waiting: string }>>(
        `SELECT count(*) AS waiting FROM pg_stat_activity
         WHERE datname = current_database() AND wait_event_type = 'Lock' AND query LIKE 'INSERT INTO webhook_inbox%'`,
      );
      return waiting === '1';
    });
    return {
      blocker,
      response,
      answered: () => answered,
      release: async () => {
        await holder.rollbackTransaction();
        await holder.release();
      },
    };
  };

  it('200 concurrent events: each answered 200 and stored, in fewer statements than events', async () => {
    const statements = spyOnStatements();
    const events = Array.from({ length: 200 }, event);
    const responses = await Promise.all(events.map((sent) => deliver(app, sent)));

    expect(responses.map((response) => response.status)).toEqual(Array(200).fill(200));
    expect(responses.map((response) => response.body as unknown)).toEqual(
      Array(200).fill({ received: true }),
    );
    const ids = events.map((sent) => sent.id);
    expect(await rowsOf(ids)).toBe(200);
    // One statement is one commit (autocommit).
    expect(statements.mock.calls.length).toBeLessThan(200);
    expect(statements.mock.calls.flatMap(([batch]) => batch.map((stored) => stored.id)).sort()).toEqual(
      [...ids].sort(),
    );
    // Enqueued after the commit, without the answer waiting for it.
    await waitFor('every event to be enqueued', async () =>
      (await Promise.all(ids.map((id) => queue.getJob(id)))).every(Boolean),
    );
  });

  it('answers only once the statement holding the event has committed', async () => {
    const held = await holdAStatement();
    await sleep(300);
    expect(held.answered()).toBe(false);
    expect(await rowsOf([held.blocker.id])).toBe(0);

    await held.release();
    const response = await held.response;
    expect(response.status).toBe(200);
    expect(response.body).toEqual({ received: true });
    expect(await rowsOf([held.blocker.id])).toBe(1);
  });

  it('the same event ten times in one batch: one receipt, nine duplicates, one row', async () => {
    const statements = spyOnStatements();
    const receipts = spyOnReceipts();
    const held = await holdAStatement();
    const sent = event();
    const responses = Promise.all(Array.from({ length: 10 }, () => deliver(app, sent)));
    await waitFor('the ten receipts to reach the batch', () =>
      Promise.resolve(receipts.mock.calls.length >= 11),
    );
    await held.release();

    expect((await responses).map((response) => response.status)).toEqual(Array(10).fill(200));
    const bodies = (await responses).map((response) => response.body as unknown);
    expect(bodies.filter((body) => JSON.stringify(body) === '{"received":true}')).toHaveLength(1);
    expect(
      bodies.filter((body) => JSON.stringify(body) === '{"received":true,"duplicate":true}'),
    ).toHaveLength(9);
    expect(await rowsOf([sent.id])).toBe(1);
    // The blocker's statement, then one for the ten.
    expect(statements).toHaveBeenCalledTimes(2);
    expect((await held.response).body).toEqual({ received: true });
  });

  it('the same event ten times, concurrently: exactly one non-duplicate answer, one row', async () => {
    const sent = event();
    const responses = await Promise.all(Array.from({ length: 10 }, () => deliver(app, sent)));
    expect(responses.map((response) => response.status)).toEqual(Array(10).fill(200));
    expect(responses.filter((response) => response.body.duplicate !== true)).toHaveLength(1);
    expect(await rowsOf([sent.id])).toBe(1);
  });

  it('an event the database refuses fails alone: the others of its batch are stored and answered 200', async () => {
    // The database refuses one insert of this type, as a constraint would: a trigger of the test's
    // own. (An event whose JSON PostgreSQL cannot hold is not refused: it is kept raw, dead.)
    const refusedType = `test.refused_${randomUUID().slice(0, 8)}`;
    await db.query(`CREATE FUNCTION refuse_test_event() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF NEW.type = '${refusedType}' THEN RAISE EXCEPTION 'refused by the test'; END IF;
        RETURN NEW;
      END $$`);
    await db.query(`CREATE TRIGGER refuse_test_event BEFORE INSERT ON webhook_inbox
      FOR EACH ROW EXECUTE FUNCTION refuse_test_event()`);
    try {
      const statements = spyOnStatements();
      const receipts = spyOnReceipts();
      const held = await holdAStatement();
      const good = Array.from({ length: 5 }, event);
      const bad = stripeEvent(refusedType, { id: 'obj_refused' });
      const responses = Promise.all([...good, bad].map((sent) => deliver(app, sent)));
      await waitFor('the six receipts to reach the batch', () =>
        Promise.resolve(receipts.mock.calls.length >= 7),
      );
      await held.release();

      const [badResponse, ...goodResponses] = (await responses).reverse();
      expect(goodResponses.map((response) => response.status)).toEqual(Array(5).fill(200));
      expect(goodResponses.map((response) => response.body as unknown)).toEqual(
        Array(5).fill({ received: true }),
      );
      expect(await rowsOf(good.map((sent) => sent.id))).toBe(5);
      // What a refused insert answered before batching: an unexpected error, with nothing of the SQL.
      expect(badResponse.status).toBe(500);
      expect(badResponse.body).toEqual({
        statusCode: 500,
        code: 'INTERNAL_ERROR',
        message: 'Internal server error',
      });
      expect(await rowsOf([bad.id])).toBe(0);
      // The blocker's statement, the batch of six that failed, then each of the six alone.
      expect(statements.mock.calls.map(([batch]) => batch.length)).toEqual([1, 6, 1, 1, 1, 1, 1, 1]);
      expect((await held.response).status).toBe(200);
    } finally {
      await db.query('DROP TRIGGER refuse_test_event ON webhook_inbox');
      await db.query('DROP FUNCTION refuse_test_event()');
    }
  });

  it('an event whose JSON PostgreSQL cannot hold is kept raw and dead, and the others of its batch stored', async () => {
    const receipts = spyOnReceipts();
    const held = await holdAStatement();
    const good = Array.from({ length: 3 }, event);
    const nul = stripeEvent('customer.created', { id: 'cus_nul', object: 'customer', name: 'a\u0000b' });
    const responses = Promise.all([...good, nul].map((sent) => deliver(app, sent)));
    await waitFor('the four receipts to reach the batch', () =>
      Promise.resolve(receipts.mock.calls.length >= 5),
    );
    await held.release();

    expect((await responses).map((response) => response.body as unknown)).toEqual(
      Array(4).fill({ received: true }),
    );
    expect(await rowsOf([...good, nul].map((sent) => sent.id))).toBe(4);
    const [kept] = await db.query<Array<{ status: string; payload: unknown }>>(
      'SELECT status, payload FROM webhook_inbox WHERE event_id = $1',
      [nul.id],
    );
    expect(kept).toEqual({ status: 'dead', payload: null });
  });

  describe('with PostgreSQL unreachable', () => {
    let proxy: TcpProxy;
    let cut: TestApp;

    beforeAll(async () => {
      const url = new URL(process.env.TEST_DATABASE_URL ?? '');
      proxy = await TcpProxy.start(Number(url.port || 5432));
      url.port = String(proxy.port);
      cut = await createTestApp({
        env: { STRIPE_WEBHOOK_SECRET: 'whsec_e2e', WORKER_MODE: 'api', DATABASE_URL: url.toString() },
      });
    });
    afterAll(async () => {
      await cut.close();
      await proxy.stop();
    });

    it('answers every receipt of a batch 503 with Retry-After, so Stripe redelivers; 200 once it is back', async () => {
      expect((await deliver(cut, event())).status).toBe(200);
      await proxy.stop();
      const events = Array.from({ length: 5 }, event);
      const responses = await Promise.all(events.map((sent) => deliver(cut, sent)));
      expect(responses.map((response) => response.status)).toEqual(Array(5).fill(503));
      for (const response of responses) {
        expect(response.body).toMatchObject({ code: 'SERVICE_UNAVAILABLE' });
        expect(Number(response.headers['retry-after'])).toBeGreaterThan(0);
      }

      await proxy.start();
      await waitFor(
        'PostgreSQL to be reachable again',
        async () => (await deliver(cut, events[0])).status === 200,
      );
      expect(await rowsOf([events[0].id])).toBe(1);
    });
  });

  it('shutdown waits for the enqueues still running after the answers', async () => {
    const closing = await createTestApp({ env: { STRIPE_WEBHOOK_SECRET: 'whsec_e2e', WORKER_MODE: 'api' } });
    const prototype = Bull.prototype as Queue;
    const addBulk = prototype.addBulk;
    // Redis slower than the answer: the enqueue is still running when the app is told to close.
    jest.spyOn(prototype, 'addBulk').mockImplementation(async function (this: Queue, jobs) {
      await sleep(500);
      return addBulk.call(this, jobs);
    });
    const sent = event();
    expect((await deliver(closing, sent)).body).toEqual({ received: true });
    await closing.close();

    const redis = new Redis(closing.config.redisUrl);
    try {
      const jobKey = `${queuePrefix(closing.config.databaseUrl)}:${STRIPE_WEBHOOK_QUEUE}:${sent.id}`;
      expect(await redis.exists(jobKey)).toBe(1);
    } finally {
      redis.disconnect();
    }
  });
});
