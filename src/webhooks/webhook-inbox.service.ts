import { InjectQueue } from '@nestjs/bull';
import { Injectable, Logger, OnApplicationShutdown } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { Job, JobOptions, Queue } from 'bull';
import { DataSource } from 'typeorm';
import { AppConfig } from '../config/app-config';
import { describeError } from '../common/errors/error-like';
import { ExclusiveJobRunner } from '../scheduling/exclusive-job.runner';
import {
  ATTEMPT_ERRORS_KEPT,
  AttemptError,
  WebhookInbox,
  WebhookStatus,
} from './entities/webhook-inbox.entity';
import { WebhookInboxBatcher } from './webhook-inbox.batcher';
import { VerifiedEvent } from './webhook-signature.verifier';
import {
  STRIPE_WEBHOOK_QUEUE,
  StripeWebhookJob,
  WEBHOOK_ENQUEUE_TIMEOUT_MS,
  WEBHOOK_RETRY_BASE_DELAY_MS,
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

/** The statuses of an event not yet settled: it is still to be applied. */
export const UNSETTLED_STATUSES = ['pending', 'processing', 'failed'] as const;

/** What operators watch of the inbox (see `WebhookInboxMetrics`). */
export interface InboxBacklog {
  byStatus: Record<(typeof UNSETTLED_STATUSES)[number] | 'dead', number>;
  /** Seconds since the oldest unsettled event was received, by the database clock; 0 when none. */
  oldestUnsettledAgeSeconds: number;
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
 * down at receipt, flushed) is still `pending`/`processing`/`failed` here, and the sweeper hands
 * it over again. A job whose worker was killed mid-job is still Bull's, active: Bull's
 * stalled-job check gives it back to the queue once its lock lapses (about 30 s), and
 * `executeIdempotent` makes the second run change nothing the first one applied.
 *
 * The row, not Bull, keeps the count: `attempts` grows with every run that begins, whoever
 * started it (Bull's retry, its stalled check, the sweeper, a replay), and it alone decides
 * when an event is dead.
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

  /**
   * Re-queues the events dead when it starts, each once; answers how many. The dead set is read
   * first and replayed from that list, so an event that dies again while the list is worked
   * through is not picked up again (re-reading `status = 'dead'` would loop on them for as long
   * as they keep dying). Each is taken only while still dead, so one replayed meanwhile by
   * someone else is not counted twice.
   */
  async replayDead(): Promise<number> {
    const dead = await this.dataSource.query<Array<{ event_id: string }>>(
      `SELECT event_id FROM webhook_inbox WHERE status = 'dead' ORDER BY received_at, event_id`,
    );
    let count = 0;
    for (let start = 0; start < dead.length; start += SWEEP_BATCH) {
      const [taken] = await this.dataSource.query<[Array<{ event_id: string }>, number]>(
        `UPDATE webhook_inbox SET status = 'pending', updated_at = now()
         WHERE event_id = ANY($1) AND status = 'dead' RETURNING event_id`,
        [dead.slice(start, start + SWEEP_BATCH).map((row) => row.event_id)],
      );
      for (const row of taken) await this.enqueue(row.event_id, { replacing: true });
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

  /**
   * Unsettled and dead rows by status, and the age of the oldest unsettled one: one query on
   * the (status, received_at) index, for the gauges.
   */
  async backlog(): Promise<InboxBacklog> {
    const rows = await this.dataSource.query<
      Array<{ status: string; count: number; oldest_age: number | null }>
    >(
      `SELECT status, count(*)::int AS count, extract(epoch FROM now() - min(received_at))::float8 AS oldest_age
       FROM webhook_inbox WHERE status IN ('pending', 'processing', 'failed', 'dead') GROUP BY status`,
    );
    const reading: InboxBacklog = {
      byStatus: { pending: 0, processing: 0, failed: 0, dead: 0 },
      oldestUnsettledAgeSeconds: 0,
    };
    for (const row of rows) {
      reading.byStatus[row.status as keyof InboxBacklog['byStatus']] = row.count;
      if (row.status !== 'dead') {
        reading.oldestUnsettledAgeSeconds = Math.max(reading.oldestUnsettledAgeSeconds, row.oldest_age ?? 0);
      }
    }
    return reading;
  }

  /** Inbox rows, newest first, keyset-paginated on (received_at, event_id). */
  async list(query: InboxQuery): Promise<InboxPage> {
    const after = query.cursor ? decodeCursor(query.cursor) : undefined;
    const rows = await this.dataSource.query<InboxRow[]>(
      `SELECT ${INBOX_COLUMNS},
              ${MICROS('received_at')}::text AS received_micros
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

  /**
   * Marks an attempt begun and counts it; answers the event, or null when there is nothing to
   * attempt: the row is gone (cleaned up), or settled already (`processed`, `ignored`, `dead`).
   * A job for a settled row is a stale copy (a replay sets the row `pending` before it enqueues),
   * and running it would count an attempt the event never needed.
   */
  async beginAttempt(eventId: string): Promise<WebhookInbox | null> {
    const [rows] = await this.dataSource.query<[InboxRow[], number]>(
      `UPDATE webhook_inbox SET status = 'processing', attempts = attempts + 1, updated_at = now()
       WHERE event_id = $1 AND status IN ('pending', 'processing', 'failed')
       RETURNING ${INBOX_COLUMNS}`,
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

  /**
   * Records a failed attempt: its error is the row's `error` and joins `attempt_errors`, which
   * keeps the last `ATTEMPT_ERRORS_KEPT` of them.
   */
  async failAttempt(eventId: string, status: 'failed' | 'dead', error: string): Promise<void> {
    await this.dataSource.query(
      `UPDATE webhook_inbox
       SET status = $2, error = $3, updated_at = now(),
           attempt_errors = jsonb_path_query_array(
             attempt_errors || jsonb_build_array(jsonb_build_object('attempt', attempts, 'at', now(), 'error', $3::text)),
             '$[last - $keep + 1 to last]', jsonb_build_object('keep', $4::int))
       WHERE event_id = $1`,
      [eventId, status, error.slice(0, ERROR_MAX_LENGTH), ATTEMPT_ERRORS_KEPT],
    );
  }

  /**
   * Hands Bull again the unfinished rows whose job is lost: none in Bull (Redis was down at
   * receipt, flushed, or Bull gave up on a job that stalled too often), or one Bull has finished
   * while the row has not. A job still waiting, delayed for its backoff or running stays where it
   * is: re-adding it would put the oldest events behind newer ones, and restart Bull's backoff.
   *
   * A row is re-added only if it has not moved since it was read: a job that completes between
   * the read and Bull's answer is gone from Bull by then, and would otherwise be run again.
   */
  private async sweep(): Promise<number> {
    const rows = await this.dataSource.query<SweptRow[]>(
      `SELECT event_id, status, ${MICROS('updated_at')}::text AS updated_micros
       FROM webhook_inbox WHERE status = ANY($2)
       ORDER BY received_at, event_id LIMIT $1`,
      [SWEEP_BATCH, UNSETTLED_STATUSES],
    );
    // Concurrent look-ups share the connection's pipeline: one round trip, not one per row.
    const jobs = await Promise.all(rows.map((row) => this.queue.getJob(row.event_id)));
    const lost = rows.filter((_row, index) => isLost(jobs[index]));
    const unmoved = new Set(await this.unmoved(lost));
    let enqueued = 0;
    for (const row of lost) {
      if (!unmoved.has(row.event_id)) continue;
      if (await this.enqueue(row.event_id, { replacing: true })) enqueued += 1;
    }
    if (enqueued > 0) this.logger.log({ enqueued }, 'Swept lost webhook events into the queue');
    return enqueued;
  }

  /**
   * The ids among `rows` whose status and `updated_at` are still those read (to the microsecond,
   * as PostgreSQL keeps it: a JavaScript Date would keep milliseconds only).
   */
  private async unmoved(rows: SweptRow[]): Promise<string[]> {
    if (rows.length === 0) return [];
    const still = await this.dataSource.query<Array<{ event_id: string }>>(
      `SELECT inbox.event_id FROM webhook_inbox inbox
       JOIN unnest($1::varchar[], $2::varchar[], $3::bigint[]) AS seen (event_id, status, updated_micros)
         ON seen.event_id = inbox.event_id AND seen.status = inbox.status
        AND seen.updated_micros = ${MICROS('inbox.updated_at')}`,
      [rows.map((row) => row.event_id), rows.map((row) => row.status), rows.map((row) => row.updated_micros)],
    );
    return still.map((row) => row.event_id);
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
   * request. `replacing` first removes a job that is not running (a finished or waiting one).
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

/** One error kept per attempt is at most this long (a stack or a long message is cut). */
const ERROR_MAX_LENGTH = 2000;

const INBOX_COLUMNS = `event_id, type, payload, raw_body, status, attempts, error, attempt_errors,
  received_at, processed_at, updated_at`;

/** A timestamp as whole microseconds since the epoch, exact, as text for JavaScript. */
const MICROS = (column: string) => `(extract(epoch FROM ${column}) * 1000000)::bigint`;

interface SweptRow {
  event_id: string;
  status: WebhookStatus;
  updated_micros: string;
}

/** No job in Bull, or one Bull has finished (kept by older options) while the row has not. */
function isLost(job: Job<StripeWebhookJob> | null): boolean {
  return !job || job.finishedOn != null;
}

interface InboxRow {
  event_id: string;
  type: string;
  payload: Record<string, unknown> | null;
  raw_body: string | null;
  status: WebhookStatus;
  attempts: number;
  error: string | null;
  attempt_errors: AttemptError[];
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
    rawBody: row.raw_body,
    status: row.status,
    attempts: row.attempts,
    error: row.error,
    attemptErrors: row.attempt_errors,
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
