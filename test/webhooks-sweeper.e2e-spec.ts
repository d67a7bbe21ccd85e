import { getQueueToken } from '@nestjs/bull';
import Bull, { type Queue } from 'bull';
import { DataSource } from 'typeorm';
import { WebhookInboxService } from '../src/webhooks/webhook-inbox.service';
import { STRIPE_WEBHOOK_QUEUE } from '../src/webhooks/webhooks.constants';
import { deliver, stripeEvent, TestEvent, waitFor } from './support/stripe-events';
import { createTestApp, TestApp } from './support/test-app';

describe('The webhook sweeper and a backlog', () => {
  let app: TestApp;
  let db: DataSource;
  let queue: Queue;
  let inbox: WebhookInboxService;

  beforeAll(async () => {
    // No processor in this process, and the queue paused: a backlog that does not drain.
    app = await createTestApp({ env: { STRIPE_WEBHOOK_SECRET: 'whsec_e2e', WORKER_MODE: 'api' } });
    db = app.app.get(DataSource);
    queue = app.app.get<Queue>(getQueueToken(STRIPE_WEBHOOK_QUEUE));
    inbox = app.app.get(WebhookInboxService);
    await queue.pause();
  });
  afterAll(async () => {
    await queue.resume();
    await app.close();
  });

  /** The given events in the order Bull will hand them out (others' jobs left out). */
  const queuedOrder = async (events: TestEvent[]) => {
    const ids = new Set(events.map((event) => event.id));
    const waiting = await queue.getWaiting(0, -1);
    return waiting.map((job) => String(job.id)).filter((id) => ids.has(id));
  };

  const receive = async (count: number) => {
    const events = Array.from({ length: count }, (_, index) =>
      stripeEvent('customer.created', { id: `cus_backlog_${index}` }),
    );
    // One at a time, so the received order is the order sent.
    for (const event of events) expect((await deliver(app, event)).status).toBe(200);
    await waitFor('every event to be queued', async () => (await queuedOrder(events)).length === count);
    return events;
  };

  it('keeps a backdated backlog in its order across sweeps: the oldest waiting events stay first', async () => {
    const old = await receive(20);
    // Received an hour ago and waiting since: older than any threshold a sweeper may have.
    await db.query(
      `UPDATE webhook_inbox SET received_at = received_at - interval '1 hour',
                                updated_at = updated_at - interval '1 hour'
       WHERE event_id = ANY($1)`,
      [old.map((event) => event.id)],
    );
    const recent = await receive(10);
    const all = [...old, ...recent];
    const order = all.map((event) => event.id);
    expect(await queuedOrder(all)).toEqual(order);

    for (let sweep = 0; sweep < 3; sweep += 1) {
      await inbox.sweepPending();
      expect(await queuedOrder(all)).toEqual(order);
    }
  });

  it('does not re-add a job that completed while the sweeper looked: the row moved meanwhile', async () => {
    const [event] = await receive(1);
    await db.query(`UPDATE webhook_inbox SET status = 'processing', attempts = 1 WHERE event_id = $1`, [
      event.id,
    ]);
    // The sweeper read the row `processing`; before Bull answers, the attempt ends: the row is
    // processed and its job removed, so Bull has no job to show.
    const prototype = Bull.prototype as Queue;
    const getJob = prototype.getJob;
    const spy = jest.spyOn(prototype, 'getJob').mockImplementation(async function (this: Queue, jobId) {
      if (jobId !== event.id) return getJob.call(this, jobId);
      await db.query(
        `UPDATE webhook_inbox SET status = 'processed', updated_at = now() WHERE event_id = $1`,
        [event.id],
      );
      await (await getJob.call(this, jobId))?.remove();
      return null;
    });
    try {
      await inbox.sweepPending();
    } finally {
      spy.mockRestore();
    }
    // Nothing re-added: a second run of a processed event is an attempt it never needed.
    expect(await queue.getJob(event.id)).toBeNull();
  });

  it('re-adds a job that is truly lost, and only that one', async () => {
    const events = await receive(5);
    const lost = events[2];
    await (await queue.getJob(lost.id))?.remove();

    expect(await inbox.sweepPending()).toBeGreaterThanOrEqual(1);
    const others = events.filter((event) => event !== lost).map((event) => event.id);
    // The others where they were; the lost one at the tail, behind them.
    expect(await queuedOrder(events)).toEqual([...others, lost.id]);
    await inbox.sweepPending();
    expect(await queuedOrder(events)).toEqual([...others, lost.id]);
  });
});
