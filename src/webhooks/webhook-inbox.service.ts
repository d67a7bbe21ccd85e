import { InjectQueue } from '@nestjs/bull';
import { Injectable, Logger, OnApplicationShutdown } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { JobOptions, Queue } from 'bull';
import { DataSource } from 'typeorm';
import { AppConfig } from '../config/app-config';
import { describeError } from '../common/errors/error-like';
import { ExclusiveJobRunner } from '../scheduling/exclusive-job.runner';
import { WebhookInbox, WebhookStatus } from './entities/webhook-inbox.entity';
import { WebhookInboxBatcher } from './webhook-inbox.batcher';
import { VerifiedEvent } from './webhook-signature.verifier';
import {
  STRIPE_WEBHOOK_QUEUE,
  StripeWebhookJob,
  WEBHOOK_ENQUEUE_TIMEOUT_MS,
  WEBHOOK_RETRY_BASE_DELAY_MS,
  WEBHOOK_STUCK_AFTER_SECONDS,
  WEBHOOK_SWEEP_JOB,
} from './webhooks.constants';

export interface Receipt {
  received: true;
  duplicate?: true;
}

export interface InboxPage {
  items: WebhookInbox[];
  nextCursor: string | null;
}

export interface InboxQuery {
  status?: WebhookStatus;
  type?: string;
  limit: number;
  cursor?: string;
}

/** How many rows one sweep or one cleanup batch handles. */
const SWEEP_BATCH = 500;

/**
 * `webhook_inbox`, written by this module only: events are stored before they are
 * acknowledged, then handed to Bull. Redis is never the only record: a row Bull lost (Redis
 * down at receipt, flushed) is still `pending`/`processing` here, and the sweeper hands it over
 * again. A job whose worker was killed mid-job is still Bull's, active: Bull's stalled-job
 * check gives it back to the queue once its lock lapses (about 30 s), and `executeIdempotent`
 * makes the second run change nothing the first one applied.
 */
@Injectable()
export class WebhookInboxService implements OnApplicationShutdown {
  private readonly logger = new Logger(WebhookInboxService.name);
  private readonly receipts: WebhookInboxBatcher;
  /** Enqueues started after a commit and not finished yet: shutdown waits for them. */
  private readonly enqueuing = new Set<Promise<void>>();

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    @InjectQueue(STRIPE_WEBHOOK_QUEUE) private readonly queue: Queue<StripeWebhookJob>,
    private readonly config: AppConfig,
    private readonly runner: ExclusiveJobRunner,
  ) {
    this.receipts = new WebhookInboxBatcher(dataSource, (eventIds) => this.enqueueCommitted(eventIds));
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

  /** Runs before the webhooks module closes the queue: no enqueue is left to fail on it. */
  async onApplicationShutdown(): Promise<void> {
    while (this.enqueuing.size > 0) await Promise.all([...this.enqueuing]);
  }

  /** Re-queues one event whatever its status; effects already applied are not applied again. */
  async replay(eventId: string): Promise<'queued' | 'not_found'> {
    const [, affected] = await this.dataSource.query<[unknown, number]>(
      `UPDATE webhook_inbox SET status = 'pending', updated_at = now() WHERE event_id = $1`,
      [eventId],
    );
    if (affected === 0) return 'not_found';
    // Pending in the database is the promise: if Redis is down now, the sweeper enqueues it later.
    await this.enqueue(eventId, { replacing: true });
    return 'queued';
  }

  /** Re-queues every dead-lettered event; answers how many. */
  async replayDead(): Promise<number> {
    let count = 0;
    for (;;) {
      const rows = await this.dataSource.query<Array<{ event_id: string }>>(
        `SELECT event_id FROM webhook_inbox WHERE status = 'dead' ORDER BY received_at LIMIT $1`,
        [SWEEP_BATCH],
      );
      for (const row of rows) if ((await this.replay(row.event_id)) === 'queued') count += 1;
      if (rows.length < SWEEP_BATCH) return count;
    }
  }

  /**
   * The sweeper's one pass, one process at a time: enqueues `pending` rows, and `processing`
   * or `failed` rows whose Bull job vanished (Redis flushed or down at the time) or that have
   * not moved for long. Answers how many were enqueued (0 when another process holds the pass).
   */
  async sweepPending(): Promise<number> {
    const run = await this.runner.run(WEBHOOK_SWEEP_JOB, () => this.sweep());
    return run.ran ? run.result : 0;
  }

  /** Deletes `processed`/`ignored` rows finished more than `days` ago, in batches; answers how many. */
  async deleteFinishedOlderThan(days: number, batchSize = 1000): Promise<number> {
    let deleted = 0;
    for (;;) {
      const [, affected] = await this.dataSource.query<[unknown, number]>(
        `DELETE FROM webhook_inbox WHERE event_id IN (
           SELECT event_id FROM webhook_inbox
           WHERE status IN ('processed', 'ignored')
             AND COALESCE(processed_at, received_at) < now() - make_interval(days => $1)
           LIMIT $2 FOR UPDATE SKIP LOCKED)`,
        [days, batchSize],
      );
      deleted += affected;
      if (affected < batchSize) return deleted;
    }
  }

  /** Inbox rows, newest first, keyset-paginated on (received_at, event_id). */
  async list(query: InboxQuery): Promise<InboxPage> {
    const after = query.cursor ? decodeCursor(query.cursor) : undefined;
    const rows = await this.dataSource.query<InboxRow[]>(
      `SELECT event_id, type, payload, status, attempts, error, received_at, processed_at, updated_at,
              (extract(epoch FROM received_at) * 1000000)::bigint::text AS received_micros
       FROM webhook_inbox
       WHERE ($1::text IS NULL OR status = $1) AND ($2::text IS NULL OR type = $2)
         AND ($3::bigint IS NULL
              OR (received_at, event_id) < (timestamptz 'epoch' + $3::bigint * interval '1 microsecond', $4))
       ORDER BY received_at DESC, event_id DESC
       LIMIT $5`,
      [
        query.status ?? null,
        query.type ?? null,
        after?.micros ?? null,
        after?.eventId ?? null,
        query.limit + 1,
      ],
    );
    const page = rows.slice(0, query.limit);
    const last = page.at(-1);
    return {
      items: page.map(toEntity),
      nextCursor:
        rows.length > query.limit && last ? encodeCursor(last.received_micros, last.event_id) : null,
    };
  }

  /** Marks an attempt begun; answers the event, or null when the row is gone (cleaned up). */
  async beginAttempt(eventId: string): Promise<WebhookInbox | null> {
    const [rows] = await this.dataSource.query<[InboxRow[], number]>(
      `UPDATE webhook_inbox SET status = 'processing', attempts = attempts + 1, updated_at = now()
       WHERE event_id = $1
       RETURNING event_id, type, payload, status, attempts, error, received_at, processed_at, updated_at`,
      [eventId],
    );
    return rows[0] ? toEntity(rows[0]) : null;
  }

  /** Ends an attempt; `reason` says why an event was ignored. */
  async finishAttempt(eventId: string, status: 'processed' | 'ignored', reason?: string): Promise<void> {
    await this.dataSource.query(
      `UPDATE webhook_inbox SET status = $2, error = $3, processed_at = now(), updated_at = now()
       WHERE event_id = $1`,
      [eventId, status, reason ?? null],
    );
  }

  async failAttempt(eventId: string, status: 'failed' | 'dead', error: string): Promise<void> {
    await this.dataSource.query(
      `UPDATE webhook_inbox SET status = $2, error = $3, updated_at = now() WHERE event_id = $1`,
      [eventId, status, error.slice(0, 2000)],
    );
  }

  private async sweep(): Promise<number> {
    const rows = await this.dataSource.query<
      Array<{ event_id: string; status: WebhookStatus; stale: boolean }>
    >(
      `SELECT event_id, status, updated_at < now() - make_interval(secs => $1) AS stale
       FROM webhook_inbox WHERE status IN ('pending', 'processing', 'failed')
       ORDER BY received_at LIMIT $2`,
      [WEBHOOK_STUCK_AFTER_SECONDS, SWEEP_BATCH],
    );
    let enqueued = 0;
    for (const row of rows) {
      if (row.status !== 'pending' && !row.stale && (await this.queue.getJob(row.event_id))) continue;
      if (await this.enqueue(row.event_id, { replacing: row.stale })) enqueued += 1;
    }
    if (enqueued > 0) this.logger.log({ enqueued }, 'Swept webhook events into the queue');
    return enqueued;
  }

  /** Starts handing a committed batch's new events to Bull, tracked until it ends. */
  private enqueueCommitted(eventIds: string[]): void {
    const enqueue = this.enqueueAll(eventIds).finally(() => this.enqueuing.delete(enqueue));
    this.enqueuing.add(enqueue);
  }

  /** `enqueue` for many events at once, in one Redis transaction; never throws. */
  private async enqueueAll(eventIds: string[]): Promise<void> {
    try {
      await withTimeout(
        () =>
          this.queue.addBulk(
            eventIds.map((eventId) => ({ data: { eventId }, opts: this.jobOptions(eventId) })),
          ),
        WEBHOOK_ENQUEUE_TIMEOUT_MS,
      );
    } catch (error) {
      this.logger.warn(
        { eventIds, err: describeError(error) },
        'Could not enqueue webhook events; the sweeper will',
      );
    }
  }

  /**
   * Hands an event to Bull (job id = event id, so a job already waiting is not doubled). Bounded
   * in time: while Redis is down the client fails at once, and a hung one does not hold the
   * request. `replacing` first removes a job that is not running (a finished or stuck one).
   * Answers whether Bull took it.
   */
  private async enqueue(eventId: string, options: { replacing?: boolean } = {}): Promise<boolean> {
    try {
      await withTimeout(async () => {
        if (options.replacing) {
          const existing = await this.queue.getJob(eventId);
          if (existing && !(await existing.isActive())) await existing.remove();
        }
        await this.queue.add({ eventId }, this.jobOptions(eventId));
      }, WEBHOOK_ENQUEUE_TIMEOUT_MS);
      return true;
    } catch (error) {
      this.logger.warn(
        { eventId, err: describeError(error) },
        'Could not enqueue a webhook event; the sweeper will',
      );
      return false;
    }
  }

  private jobOptions(eventId: string): JobOptions {
    return {
      jobId: eventId,
      attempts: this.config.webhooks.maxAttempts,
      backoff: { type: 'exponential', delay: WEBHOOK_RETRY_BASE_DELAY_MS },
      removeOnComplete: true,
      removeOnFail: true,
    };
  }
}

interface InboxRow {
  event_id: string;
  type: string;
  payload: Record<string, unknown>;
  status: WebhookStatus;
  attempts: number;
  error: string | null;
  received_at: Date;
  processed_at: Date | null;
  updated_at: Date;
  received_micros: string;
}

function toEntity(row: InboxRow): WebhookInbox {
  return Object.assign(new WebhookInbox(), {
    eventId: row.event_id,
    type: row.type,
    payload: row.payload,
    status: row.status,
    attempts: row.attempts,
    error: row.error,
    receivedAt: row.received_at,
    processedAt: row.processed_at,
    updatedAt: row.updated_at,
  });
}

function encodeCursor(micros: string, eventId: string): string {
  return Buffer.from(`${micros}:${eventId}`, 'utf8').toString('base64url');
}

/** Undefined for a cursor this service did not write (the DTO refuses those first). */
export function decodeCursor(cursor: string): { micros: string; eventId: string } | undefined {
  const match = /^(\d{1,20}):(.{1,255})$/s.exec(Buffer.from(cursor, 'base64url').toString('utf8'));
  return match ? { micros: match[1], eventId: match[2] } : undefined;
}

async function withTimeout(work: () => Promise<unknown>, timeoutMs: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      work(),
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`Redis did not answer within ${timeoutMs} ms`)), timeoutMs);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}
