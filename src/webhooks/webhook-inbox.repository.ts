import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { Repository } from 'typeorm';
import { PreparedStatement, runPrepared } from '../database/prepared-statement';
import {
  ATTEMPT_ERRORS_KEPT,
  AttemptError,
  WebhookInbox,
  WebhookStatus,
} from './entities/webhook-inbox.entity';
import { decodeCursor, encodeCursor } from './inbox-cursor';
import { VerifiedEvent } from './webhook-signature.verifier';

export const UNSETTLED_STATUSES = ['pending', 'processing', 'failed'] as const;

export interface InboxPage {
  items: WebhookInbox[];
  nextCursor: string | null;
}

export interface InboxBacklog {
  byStatus: Record<(typeof UNSETTLED_STATUSES)[number] | 'dead', number>;
  oldestUnsettledAgeSeconds: number;
}

export interface InboxQuery {
  status?: WebhookStatus;
  type?: string;
  limit: number;
  cursor?: string;
}

export interface SweptRow {
  event_id: string;
  status: WebhookStatus;
  updated_micros: string;
}

/** Parsed by PostgreSQL from the text received, so events are not serialised again. */
const INSERT_EVENTS: PreparedStatement = {
  name: 'webhook_inbox_insert_events',
  text: `INSERT INTO webhook_inbox (event_id, type, payload)
         SELECT event_id, type, payload
         FROM unnest($1::varchar[], $2::varchar[], $3::jsonb[]) AS batch (event_id, type, payload)
         ON CONFLICT (event_id) DO NOTHING RETURNING event_id`,
};

/** Kept raw and dead rather than answered 500, which Stripe would retry for three days to no avail. */
const INSERT_UNSTORABLE: PreparedStatement = {
  name: 'webhook_inbox_insert_unstorable',
  text: `INSERT INTO webhook_inbox (event_id, type, payload, raw_body, status, error)
         VALUES ($1, $2, NULL, $3, 'dead', $4)
         ON CONFLICT (event_id) DO NOTHING RETURNING event_id`,
};

@Injectable()
export class WebhookInboxRepository {
  constructor(@InjectRepository(WebhookInbox) private readonly inbox: Repository<WebhookInbox>) {}

  async insertEvents(events: readonly VerifiedEvent[]): Promise<string[]> {
    const result = await runPrepared<{ event_id: string }>(this.inbox.manager, INSERT_EVENTS, [
      events.map((event) => event.id),
      events.map((event) => event.type),
      events.map((event) => event.raw),
    ]);
    return result.rows.map((row) => row.event_id);
  }

  async insertUnstorable(event: VerifiedEvent, reason: string): Promise<string[]> {
    const result = await runPrepared<{ event_id: string }>(this.inbox.manager, INSERT_UNSTORABLE, [
      event.id,
      event.type,
      event.raw,
      reason,
    ]);
    return result.rows.map((row) => row.event_id);
  }

  async markPending(eventId: string): Promise<boolean> {
    const [, affected] = await this.inbox.query<[unknown, number]>(
      `UPDATE webhook_inbox SET status = 'pending', updated_at = now() WHERE event_id = $1`,
      [eventId],
    );
    return affected > 0;
  }

  async deadEventIds(): Promise<string[]> {
    const rows = await this.inbox.query<Array<{ event_id: string }>>(
      `SELECT event_id FROM webhook_inbox WHERE status = 'dead' ORDER BY received_at, event_id`,
    );
    return rows.map((row) => row.event_id);
  }

  async takeDead(eventIds: string[]): Promise<string[]> {
    const [taken] = await this.inbox.query<[Array<{ event_id: string }>, number]>(
      `UPDATE webhook_inbox SET status = 'pending', updated_at = now()
       WHERE event_id = ANY($1) AND status = 'dead' RETURNING event_id`,
      [eventIds],
    );
    return taken.map((row) => row.event_id);
  }

  async deleteFinishedBatch(days: number, batchSize: number): Promise<number> {
    const [, affected] = await this.inbox.query<[unknown, number]>(
      `DELETE FROM webhook_inbox WHERE event_id IN (
         SELECT event_id FROM webhook_inbox
         WHERE status IN ('processed', 'ignored')
           AND COALESCE(processed_at, received_at) < now() - make_interval(days => $1)
         LIMIT $2 FOR UPDATE SKIP LOCKED)`,
      [days, batchSize],
    );
    return affected;
  }

  async backlog(): Promise<InboxBacklog> {
    const rows = await this.inbox.query<Array<{ status: string; count: number; oldest_age: number | null }>>(
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

  async list(query: InboxQuery): Promise<InboxPage> {
    const after = query.cursor ? decodeCursor(query.cursor) : undefined;
    const rows = await this.inbox.query<InboxRow[]>(
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

  /** Null for a gone or settled row: such a job is a stale copy and must not count an attempt. */
  async beginAttempt(eventId: string): Promise<WebhookInbox | null> {
    const [rows] = await this.inbox.query<[InboxRow[], number]>(
      `UPDATE webhook_inbox SET status = 'processing', attempts = attempts + 1, updated_at = now()
       WHERE event_id = $1 AND status IN ('pending', 'processing', 'failed')
       RETURNING ${INBOX_COLUMNS}`,
      [eventId],
    );
    return rows[0] ? toEntity(rows[0]) : null;
  }

  async finishAttempt(eventId: string, status: 'processed' | 'ignored', reason?: string): Promise<void> {
    await this.inbox.query(
      `UPDATE webhook_inbox SET status = $2, error = $3, processed_at = now(), updated_at = now()
       WHERE event_id = $1`,
      [eventId, status, reason ?? null],
    );
  }

  async failAttempt(eventId: string, status: 'failed' | 'dead', error: string): Promise<void> {
    await this.inbox.query(
      `UPDATE webhook_inbox
       SET status = $2, error = $3, updated_at = now(),
           attempt_errors = jsonb_path_query_array(
             attempt_errors || jsonb_build_array(jsonb_build_object('attempt', attempts, 'at', now(), 'error', $3::text)),
             '$[last - $keep + 1 to last]', jsonb_build_object('keep', $4::int))
       WHERE event_id = $1`,
      [eventId, status, error.slice(0, ERROR_MAX_LENGTH), ATTEMPT_ERRORS_KEPT],
    );
  }

  unsettledOldestFirst(limit: number): Promise<SweptRow[]> {
    return this.inbox.query<SweptRow[]>(
      `SELECT event_id, status, ${MICROS('updated_at')}::text AS updated_micros
       FROM webhook_inbox WHERE status = ANY($2)
       ORDER BY received_at, event_id LIMIT $1`,
      [limit, UNSETTLED_STATUSES],
    );
  }

  /** Compared to the microsecond, which a JavaScript Date would lose. */
  async unmoved(rows: SweptRow[]): Promise<string[]> {
    if (rows.length === 0) return [];
    const still = await this.inbox.query<Array<{ event_id: string }>>(
      `SELECT inbox.event_id FROM webhook_inbox inbox
       JOIN unnest($1::varchar[], $2::varchar[], $3::bigint[]) AS seen (event_id, status, updated_micros)
         ON seen.event_id = inbox.event_id AND seen.status = inbox.status
        AND seen.updated_micros = ${MICROS('inbox.updated_at')}`,
      [rows.map((row) => row.event_id), rows.map((row) => row.status), rows.map((row) => row.updated_micros)],
    );
    return still.map((row) => row.event_id);
  }
}

const ERROR_MAX_LENGTH = 2000;

const INBOX_COLUMNS = `event_id, type, payload, raw_body, status, attempts, error, attempt_errors,
  received_at, processed_at, updated_at`;

const MICROS = (column: string) => `(extract(epoch FROM ${column}) * 1000000)::bigint`;

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
