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

const SWEEP_BATCH = 500;

/**
 * Redis is never the only record: a row whose job Bull lost is still unsettled here, and the sweeper enqueues
 * it again. Effects go through `executeIdempotent`, so a job run twice changes nothing the second time.
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

  /** Resolves once committed; if Redis does not take the job, the sweeper enqueues it later. */
  async receive(event: VerifiedEvent): Promise<Receipt> {
    const stored = await this.receipts.store(event);
    return stored ? { received: true } : { received: true, duplicate: true };
  }

  async replay(eventId: string): Promise<'queued' | 'not_found'> {
    if (!(await this.inbox.markPending(eventId))) return 'not_found';
    await this.jobs.enqueueAgain(eventId);
    return 'queued';
  }

  /** Works from the ids read up front: re-reading `status = 'dead'` would loop on events that keep dying. */
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

  /** Returns how many events were enqueued; 0 when another process holds the sweep. */
  async sweepPending(): Promise<number> {
    const run = await this.runner.run(WEBHOOK_SWEEP_JOB, () => this.sweep());
    return run.ran ? run.result : 0;
  }

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
   * Re-enqueues unsettled rows whose job Bull lost; waiting, delayed and running jobs are left alone. Only
   * rows unchanged since they were read are re-added: a job that completed in between would otherwise run
   * again.
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
