import { Injectable, Logger } from '@nestjs/common';
import { ExclusiveJobRunner } from '../scheduling';
import { WebhookInbox } from './entities/webhook-inbox.entity';
import { WebhookInboxBatcher } from './webhook-inbox.batcher';
import { InboxBacklog, InboxPage, InboxQuery, WebhookInboxRepository } from './webhook-inbox.repository';
import { WebhookJobQueue } from './webhook-job-queue';
import { VerifiedEvent } from './webhook-signature.verifier';
import { WEBHOOK_SWEEP_JOB } from './webhooks.constants';

export type { InboxBacklog, InboxPage, InboxQuery };
export { decodeCursor } from './inbox-cursor';
export { UNSETTLED_STATUSES } from './webhook-inbox.repository';

export interface Receipt {
  received: true;
  duplicate?: true;
}

/** How many rows one sweep or one batch of a replay handles. */
const SWEEP_BATCH = 500;

/**
 * The inbox of Stripe events: stored before they are acknowledged, then handed to Bull. Redis is
 * never the only record: a row Bull lost (Redis down at receipt, flushed) is still
 * `pending`/`processing`/`failed` here, and the sweeper hands it over again. A job whose worker
 * was killed mid-job is still Bull's, active: Bull's stalled-job check gives it back to the queue,
 * and `executeIdempotent` makes the second run change nothing the first one applied.
 *
 * The row, not Bull, keeps the count: `attempts` grows with every run that begins, whoever
 * started it (Bull's retry, its stalled check, the sweeper, a replay), and it alone decides
 * when an event is dead.
 */
@Injectable()
export class WebhookInboxService {
  private readonly logger = new Logger(WebhookInboxService.name);
  private readonly receipts: WebhookInboxBatcher;

  constructor(
    private readonly inbox: WebhookInboxRepository,
    private readonly jobs: WebhookJobQueue,
    private readonly runner: ExclusiveJobRunner,
  ) {
    this.receipts = new WebhookInboxBatcher(inbox, (eventIds) => jobs.enqueueCommitted(eventIds));
  }

  /**
   * Stores a verified event once (a redelivery is a duplicate), together with the events
   * received meanwhile, and answers once that statement has committed. The enqueue runs after
   * the commit without holding the answer: the row is `pending` already, and the sweeper
   * enqueues it if Redis does not take it. Only a database failure fails the receipt.
   */
  async receive(event: VerifiedEvent): Promise<Receipt> {
    const stored = await this.receipts.store(event);
    return stored ? { received: true } : { received: true, duplicate: true };
  }

  /** Re-queues one event whatever its status; effects already applied are not applied again. */
  async replay(eventId: string): Promise<'queued' | 'not_found'> {
    if (!(await this.inbox.markPending(eventId))) return 'not_found';
    // Pending in the database is the promise: if Redis is down now, the sweeper enqueues it later.
    await this.jobs.enqueueAgain(eventId);
    return 'queued';
  }

  /**
   * Re-queues the events dead when it starts, each once; answers how many. The dead set is read
   * first and replayed from that list, so an event that dies again while the list is worked
   * through is not picked up again (re-reading `status = 'dead'` would loop on them for as long
   * as they keep dying). Each is taken only while still dead, so one replayed meanwhile by
   * someone else is not counted twice.
   */
  async replayDead(): Promise<number> {
    const dead = await this.inbox.deadEventIds();
    let count = 0;
    for (let start = 0; start < dead.length; start += SWEEP_BATCH) {
      const taken = await this.inbox.takeDead(dead.slice(start, start + SWEEP_BATCH));
      for (const eventId of taken) await this.jobs.enqueueAgain(eventId);
      count += taken.length;
    }
    return count;
  }

  /**
   * The sweeper's one pass, one process at a time: hands Bull again the unfinished rows whose job
   * is lost (see `sweep`). Answers how many were enqueued (0 when another process holds the pass).
   */
  async sweepPending(): Promise<number> {
    const run = await this.runner.run(WEBHOOK_SWEEP_JOB, () => this.sweep());
    return run.ran ? run.result : 0;
  }

  /** Deletes `processed`/`ignored` rows finished more than `days` ago, in batches; answers how many. */
  async deleteFinishedOlderThan(days: number, batchSize = 1000): Promise<number> {
    let deleted = 0;
    for (;;) {
      const affected = await this.inbox.deleteFinishedBatch(days, batchSize);
      deleted += affected;
      if (affected < batchSize) return deleted;
    }
  }

  backlog(): Promise<InboxBacklog> {
    return this.inbox.backlog();
  }

  list(query: InboxQuery): Promise<InboxPage> {
    return this.inbox.list(query);
  }

  beginAttempt(eventId: string): Promise<WebhookInbox | null> {
    return this.inbox.beginAttempt(eventId);
  }

  finishAttempt(eventId: string, status: 'processed' | 'ignored', reason?: string): Promise<void> {
    return this.inbox.finishAttempt(eventId, status, reason);
  }

  failAttempt(eventId: string, status: 'failed' | 'dead', error: string): Promise<void> {
    return this.inbox.failAttempt(eventId, status, error);
  }

  /**
   * Hands Bull again the unfinished rows whose job is lost (`WebhookJobQueue.lost`). A job still
   * waiting, delayed for its backoff or running stays where it is: re-adding it would put the
   * oldest events behind newer ones, and restart Bull's backoff.
   *
   * A row is re-added only if it has not moved since it was read: a job that completes between
   * the read and Bull's answer is gone from Bull by then, and would otherwise be run again.
   */
  private async sweep(): Promise<number> {
    const rows = await this.inbox.unsettledOldestFirst(SWEEP_BATCH);
    const lostIds = await this.jobs.lost(rows.map((row) => row.event_id));
    const unmoved = new Set(await this.inbox.unmoved(rows.filter((row) => lostIds.has(row.event_id))));
    let enqueued = 0;
    for (const row of rows) {
      if (!unmoved.has(row.event_id)) continue;
      if (await this.jobs.enqueueAgain(row.event_id)) enqueued += 1;
    }
    if (enqueued > 0) this.logger.log({ enqueued }, 'Swept lost webhook events into the queue');
    return enqueued;
  }
}
