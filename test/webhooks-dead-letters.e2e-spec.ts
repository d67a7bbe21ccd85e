import { getQueueToken } from '@nestjs/bull';
import type { Queue } from 'bull';
import request from 'supertest';
import type Stripe from 'stripe';
import { DataSource } from 'typeorm';
import { StripeEventDispatcher } from '../src/webhooks/stripe-event.dispatcher';
import { WebhookInboxService } from '../src/webhooks/webhook-inbox.service';
import { STRIPE_WEBHOOK_QUEUE } from '../src/webhooks/webhooks.constants';
import { runCli } from './support/cli-process';
import { signatureFor, stripeEvent, waitFor } from './support/stripe-events';
import { createTestApp, TestApp } from './support/test-app';
import { bearer, signToken } from './support/tokens';

interface InboxRow {
  status: string;
  attempts: number;
  error: string | null;
  attempt_errors: Array<{ attempt: number; at: string; error: string }>;
}

const admin = bearer(signToken({ roles: ['admin'] }));

/**
 * A worker whose handler fails, on purpose, for the events the test names: the inbox's own
 * bookkeeping (attempts, dead letters, their history, replays) is what is under test here, not
 * why a handler may fail.
 */
function failingDispatcher() {
  const failing = new Map<string, number>();
  const dispatch = StripeEventDispatcher.prototype.dispatch;
  jest.spyOn(StripeEventDispatcher.prototype, 'dispatch').mockImplementation(function (
    this: StripeEventDispatcher,
    event: Stripe.Event,
  ) {
    const left = failing.get(event.id);
    if (left === undefined || left === 0) return dispatch.call(this, event);
    failing.set(event.id, left - 1);
    return Promise.reject(new Error(`handler failed (${left - 1} failures left)`));
  });
  return {
    /** The next `times` attempts at each event fail (Infinity: all of them). */
    fail: (eventIds: string[], times = Infinity) => eventIds.forEach((id) => failing.set(id, times)),
  };
}

describe('Webhook dead letters', () => {
  let app: TestApp;
  let db: DataSource;
  let queue: Queue;
  let handler: ReturnType<typeof failingDispatcher>;
  const maxAttempts = 12;

  beforeAll(async () => {
    app = await createTestApp({
      env: {
        STRIPE_WEBHOOK_SECRET: 'whsec_e2e',
        WEBHOOK_MAX_ATTEMPTS: String(maxAttempts),
        // The test runs the sweeper itself, when it means to.
        WEBHOOK_SWEEP_INTERVAL_SECONDS: '3600',
      },
    });
    db = app.app.get(DataSource);
    queue = app.app.get<Queue>(getQueueToken(STRIPE_WEBHOOK_QUEUE));
    handler = failingDispatcher();
  });
  afterAll(async () => {
    jest.restoreAllMocks();
    await app.close();
  });

  const post = (payload: string) =>
    request(app.http)
      .post('/webhooks/stripe')
      .set('Content-Type', 'application/json')
      .set('Stripe-Signature', signatureFor(payload))
      .send(payload);
  const rowOf = async (eventId: string) =>
    (
      await db.query<InboxRow[]>(
        'SELECT status, attempts, error, attempt_errors FROM webhook_inbox WHERE event_id = $1',
        [eventId],
      )
    )[0];
  const untilRow = (eventId: string, what: string, check: (row: InboxRow | undefined) => boolean) =>
    waitFor(`${eventId} ${what}`, async () => check(await rowOf(eventId)));
  /** Bull's backoff shortened: a job waiting out its delay is made due now. */
  const promoteWhenDelayed = async (eventId: string) => {
    await waitFor(`${eventId} to wait out its backoff`, async () => {
      const job = await queue.getJob(eventId);
      return job !== null && (await job.isDelayed());
    });
    await (await queue.getJob(eventId))?.promote();
  };
  const adminItem = async (eventId: string) => {
    const listed = await request(app.http).get('/admin/webhooks?limit=100').set(admin);
    expect(listed.status).toBe(200);
    return (listed.body as { items: Array<Record<string, unknown>> }).items.find(
      (item) => item.eventId === eventId,
    );
  };

  describe('a signed event PostgreSQL cannot store as JSON', () => {
    let deep = '"leaf"';
    for (let level = 0; level < 100_000; level += 1) deep = `[${deep}]`;
    it.each([
      ['a \\u0000 in a string', '{"name":"a\\u0000b"}'],
      ['a lone surrogate', '{"name":"\\ud800"}'],
      ['nesting deeper than PostgreSQL parses', `{"nested":${deep}}`],
    ])('with %s is acknowledged 200 and kept raw, dead, with its reason', async (_case, object) => {
      const id = `evt_unstorable_${Math.random().toString(36).slice(2)}`;
      const payload = `{"id":"${id}","object":"event","type":"customer.updated","created":1,"data":{"object":${object}}}`;
      const response = await post(payload);
      expect(response.status).toBe(200);
      expect(response.body).toEqual({ received: true });

      const row = await rowOf(id);
      expect(row).toMatchObject({
        status: 'dead',
        attempts: 0,
        error: expect.stringMatching(/^Not stored as JSON/),
      });
      const [{ raw_body: raw }] = await db.query<Array<{ raw_body: string }>>(
        'SELECT raw_body FROM webhook_inbox WHERE event_id = $1',
        [id],
      );
      expect(raw).toBe(payload);
      // Stripe's redelivery is a duplicate, not a second row nor a 500.
      expect((await post(payload)).body).toEqual({ received: true, duplicate: true });
      expect(await adminItem(id)).toMatchObject({ status: 'dead', payload: null, rawBody: payload });
    });

    it('replayed, is dead again at once: there is nothing to process', async () => {
      const id = `evt_unstorable_${Math.random().toString(36).slice(2)}`;
      expect(
        (await post(`{"id":"${id}","object":"event","type":"x.y","data":{"object":{"n":"\\u0000"}}}`)).status,
      ).toBe(200);
      const replayed = await request(app.http).post(`/admin/webhooks/${id}/replay`).set(admin);
      expect(replayed.status).toBe(202);
      await untilRow(id, 'to be dead again', (row) => row?.status === 'dead' && row.attempts === 1);
      expect((await rowOf(id)).attempt_errors).toEqual([
        { attempt: 1, at: expect.any(String), error: expect.stringContaining('Kept raw') },
      ]);
    });
  });

  it('keeps each failed attempt’s error, and a later success does not clear them', async () => {
    const event = stripeEvent('customer.created', { id: 'cus_history' });
    handler.fail([event.id], 2);
    expect((await post(JSON.stringify(event))).status).toBe(200);
    for (const attempt of [1, 2]) {
      await untilRow(
        event.id,
        `to fail attempt ${attempt}`,
        (row) => row?.attempts === attempt && row.status === 'failed',
      );
      await promoteWhenDelayed(event.id);
    }
    await untilRow(event.id, 'to be settled', (row) => row?.status === 'ignored');

    const row = await rowOf(event.id);
    // The last attempt's outcome replaces the error: here, why the event was ignored.
    expect(row).toMatchObject({ attempts: 3, error: 'Events of type customer.created are not handled' });
    expect(row.attempt_errors).toEqual([
      { attempt: 1, at: expect.any(String), error: 'Error: handler failed (1 failures left)' },
      { attempt: 2, at: expect.any(String), error: 'Error: handler failed (0 failures left)' },
    ]);
    expect(await adminItem(event.id)).toMatchObject({
      status: 'ignored',
      attemptErrors: row.attempt_errors.map((entry) => ({ ...entry, at: expect.any(String) })),
    });
  });

  it(`dead-letters at the row's own attempt count (${maxAttempts}), whatever Bull's count after the sweeper re-adds the job`, async () => {
    const event = stripeEvent('customer.created', { id: 'cus_always_failing' });
    handler.fail([event.id]);
    expect((await post(JSON.stringify(event))).status).toBe(200);

    const inbox = app.app.get(WebhookInboxService);
    let attempts = 0;
    let lostOnce = false;
    for (;;) {
      const seen = attempts;
      await untilRow(event.id, `to fail attempt ${seen + 1}`, (row) =>
        Boolean(row && row.attempts > seen && ['failed', 'dead'].includes(row.status)),
      );
      const row = await rowOf(event.id);
      attempts = row.attempts;
      if (row.status === 'dead' || attempts > maxAttempts) break;
      // The row looks long stuck (its backoff grows past any threshold a sweeper may have)...
      await db.query(`UPDATE webhook_inbox SET updated_at = now() - interval '1 hour' WHERE event_id = $1`, [
        event.id,
      ]);
      if (attempts === 4 && !lostOnce) {
        // ...and once its job is lost: the sweeper re-adds it, and Bull counts from zero again.
        lostOnce = true;
        await (await queue.getJob(event.id))?.remove();
        await inbox.sweepPending();
        continue;
      }
      await inbox.sweepPending();
      // Bull's backoff shortened: the job waiting out its delay is made due now.
      await waitFor(`attempt ${attempts + 1} to be due`, async () => {
        const job = await queue.getJob(event.id);
        if (job && (await job.isDelayed())) await job.promote();
        return (await rowOf(event.id)).attempts > attempts || (job !== null && !(await job.isDelayed()));
      });
    }

    const dead = await rowOf(event.id);
    expect(dead).toMatchObject({ status: 'dead', attempts: maxAttempts });
    // Bounded: the last ten attempts, the last one the attempt that made it dead.
    expect(dead.attempt_errors.map((entry) => entry.attempt)).toEqual(
      Array.from({ length: 10 }, (_, index) => maxAttempts - 9 + index),
    );
    // Nothing left to run it again, sweeper or not.
    expect(await queue.getJob(event.id)).toBeNull();
    await app.app.get(WebhookInboxService).sweepPending();
    expect(await queue.getJob(event.id)).toBeNull();
    expect((await rowOf(event.id)).attempts).toBe(maxAttempts);
  }, 60000);
});

describe('webhooks:replay --dead', () => {
  let app: TestApp;
  let db: DataSource;

  beforeAll(async () => {
    // Each attempt is the last: an event that fails again is dead again at once.
    app = await createTestApp({ env: { STRIPE_WEBHOOK_SECRET: 'whsec_e2e', WEBHOOK_MAX_ATTEMPTS: '1' } });
    db = app.app.get(DataSource);
  });
  afterAll(async () => {
    jest.restoreAllMocks();
    await app.close();
  });

  it('replays the dead set as it was when it started, each event once, and prints how many', async () => {
    // More than one batch of the command, all dead, and all dying again as this worker retries them.
    const events = Array.from({ length: 600 }, (_, index) =>
      stripeEvent('customer.created', { id: `cus_dead_${index}` }),
    );
    const ids = events.map((event) => event.id);
    failingDispatcher().fail(ids);
    await db.query(
      `INSERT INTO webhook_inbox (event_id, type, payload, status, attempts, error)
       SELECT id, 'customer.created', jsonb_build_object('id', id, 'type', 'customer.created'), 'dead', 1, 'Error: died'
       FROM unnest($1::varchar[]) AS id`,
      [ids],
    );
    const [{ count: deadSet }] = await db.query<Array<{ count: number }>>(
      `SELECT count(*)::int AS count FROM webhook_inbox WHERE status = 'dead'`,
    );

    const replayed = await runCli(['webhooks:replay', '--dead']);
    expect(replayed).toMatchObject({
      code: 0,
      stdout: `webhook_inbox: ${deadSet} dead event(s) queued again\n`,
    });
    await waitFor(
      'every replayed event to be dead again',
      async () => {
        const [{ count }] = await db.query<Array<{ count: number }>>(
          `SELECT count(*)::int AS count FROM webhook_inbox WHERE event_id = ANY($1) AND status = 'dead' AND attempts = 2`,
          [ids],
        );
        return count === ids.length;
      },
      60000,
    );
    // Each replayed once: one attempt more than it had, not one per pass over the dead set.
    const [{ max }] = await db.query<Array<{ max: number }>>(
      'SELECT max(attempts)::int AS max FROM webhook_inbox WHERE event_id = ANY($1)',
      [ids],
    );
    expect(max).toBe(2);
  }, 120000);
});
