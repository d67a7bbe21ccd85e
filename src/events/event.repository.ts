import { Injectable } from '@nestjs/common';
import { InjectEntityManager } from '@nestjs/typeorm';
import { EntityManager } from 'typeorm';
import {
  beforeCursor,
  createdWithin,
  decodeKeysetCursor,
  micros,
  Page,
  pageOf,
} from '../common/pagination/keyset-cursor';
import { PreparedStatement, runPrepared } from '../database/prepared-statement';
import { EventCause, EventType, TenantEvent } from './event-types';

/**
 * A stream is a payment, or the tenant for events of no payment. Its counter row's lock makes a second writer
 * wait for the first to commit, so numbers follow commits; the counter outlives retention, so none is reused.
 */
const RECORD: PreparedStatement = {
  name: 'events_record',
  text: `WITH next AS (
           INSERT INTO event_sequences (stream_id, last_sequence) VALUES (COALESCE($3::uuid, $2::uuid), 1)
           ON CONFLICT (stream_id) DO UPDATE SET last_sequence = event_sequences.last_sequence + 1
           RETURNING last_sequence)
         INSERT INTO events (id, tenant_id, payment_id, type, sequence, previous_status, data, cause)
         SELECT $1, $2, $3, $4, next.last_sequence, $5, $6::jsonb, $7::jsonb FROM next`,
};

/**
 * For an event sent with its change, without waiting for the change's result: recorded only if the payment
 * row is as the change left it (`PaymentGuard`), so a change that matched nothing records no event.
 */
const RECORD_IF_PAYMENT: PreparedStatement = {
  name: 'events_record_if_payment',
  text: `WITH payment AS (
           SELECT 1 FROM payment_transactions
           WHERE id = $3 AND ($8::timestamptz IS NULL OR updated_at = $8::timestamptz)),
         next AS (
           INSERT INTO event_sequences (stream_id, last_sequence) SELECT $3::uuid, 1 FROM payment
           ON CONFLICT (stream_id) DO UPDATE SET last_sequence = event_sequences.last_sequence + 1
           RETURNING last_sequence)
         INSERT INTO events (id, tenant_id, payment_id, type, sequence, previous_status, data, cause)
         SELECT $1, $2, $3, $4, next.last_sequence, $5, $6::jsonb, $7::jsonb FROM next`,
};

export interface PaymentGuard {
  /** When absent, the row need only exist. */
  updatedAt?: Date;
}

export interface NewEvent {
  id: string;
  tenantId: string;
  paymentId: string | null;
  type: EventType;
  previousStatus: string | null;
  data: string;
  cause: EventCause;
}

export interface EventQuery {
  tenantId: string;
  type?: string;
  paymentId?: string;
  createdFrom?: Date;
  createdTo?: Date;
  limit: number;
  cursor?: string;
}

export interface RelayedEvent {
  id: string;
  tenantId: string;
  type: EventType;
  createdAt: Date;
}

interface EventRow {
  id: string;
  type: EventType;
  created_at: Date;
  sequence: string;
  data: TenantEvent['data'];
  cause: EventCause;
  cursor_micros: string;
}

const COLUMNS = `id, type, created_at, sequence, data, cause, ${micros('created_at')}::text AS cursor_micros`;

@Injectable()
export class EventRepository {
  constructor(@InjectEntityManager() private readonly manager: EntityManager) {}

  async insert(transaction: EntityManager, event: NewEvent, guard?: PaymentGuard): Promise<void> {
    const values = [
      event.id,
      event.tenantId,
      event.paymentId,
      event.type,
      event.previousStatus,
      event.data,
      JSON.stringify(event.cause),
    ];
    if (guard) await runPrepared(transaction, RECORD_IF_PAYMENT, [...values, guard.updatedAt ?? null]);
    else await runPrepared(transaction, RECORD, values);
  }

  async findForTenant(tenantId: string, id: string): Promise<TenantEvent | undefined> {
    const [row] = await this.manager.query<EventRow[]>(
      `SELECT ${COLUMNS} FROM events WHERE tenant_id = $1 AND id = $2`,
      [tenantId, id],
    );
    return row ? toEvent(row) : undefined;
  }

  async tenantOf(id: string): Promise<string | undefined> {
    const [row] = await this.manager.query<Array<{ tenant_id: string }>>(
      'SELECT tenant_id FROM events WHERE id = $1',
      [id],
    );
    return row?.tenant_id;
  }

  async list(query: EventQuery): Promise<Page<TenantEvent>> {
    const after = query.cursor ? decodeKeysetCursor(query.cursor) : undefined;
    const rows = await this.manager.query<EventRow[]>(
      `SELECT ${COLUMNS} FROM events
       WHERE tenant_id = $1 AND ($2::text IS NULL OR type = $2) AND ($3::uuid IS NULL OR payment_id = $3)
         AND ${createdWithin('created_at', 4)} AND ${beforeCursor('created_at', 'id', 6)}
       ORDER BY created_at DESC, id DESC LIMIT $8`,
      [
        query.tenantId,
        query.type ?? null,
        query.paymentId ?? null,
        query.createdFrom ?? null,
        query.createdTo ?? null,
        after?.micros ?? null,
        after?.id ?? null,
        query.limit + 1,
      ],
    );
    return pageOf(rows, query.limit, toEvent);
  }

  /** Skips rows another relay holds instead of waiting; the marks roll back with the caller's transaction. */
  async takeForRelay(transaction: EntityManager, ids: readonly string[]): Promise<RelayedEvent[]> {
    const [rows] = await transaction.query<
      [Array<{ id: string; tenant_id: string; type: EventType; created_at: Date }>, number]
    >(
      `UPDATE events SET relayed_at = clock_timestamp()
       WHERE id IN (SELECT id FROM events WHERE id = ANY($1::uuid[]) AND relayed_at IS NULL
                    FOR NO KEY UPDATE SKIP LOCKED)
       RETURNING id, tenant_id, type, created_at`,
      [ids],
    );
    return rows.map((row) => ({
      id: row.id,
      tenantId: row.tenant_id,
      type: row.type,
      createdAt: row.created_at,
    }));
  }

  async unrelayedIds(limit: number): Promise<string[]> {
    const rows = await this.manager.query<Array<{ id: string }>>(
      'SELECT id FROM events WHERE relayed_at IS NULL ORDER BY created_at LIMIT $1',
      [limit],
    );
    return rows.map((row) => row.id);
  }

  async findById(id: string): Promise<TenantEvent | undefined> {
    const [row] = await this.manager.query<EventRow[]>(`SELECT ${COLUMNS} FROM events WHERE id = $1`, [id]);
    return row ? toEvent(row) : undefined;
  }

  async deleteOlderThan(days: number, batchSize: number): Promise<number> {
    const [, affected] = await this.manager.query<[unknown, number]>(
      `DELETE FROM events WHERE id IN (
         SELECT id FROM events WHERE created_at < now() - make_interval(days => $1)
         ORDER BY created_at LIMIT $2 FOR UPDATE SKIP LOCKED)`,
      [days, batchSize],
    );
    return affected;
  }

  async oldestUnrelayedAt(): Promise<Date | null> {
    const [row] = await this.manager.query<Array<{ oldest: Date | null }>>(
      'SELECT min(created_at) AS oldest FROM events WHERE relayed_at IS NULL',
    );
    return row?.oldest ?? null;
  }
}

function toEvent(row: EventRow): TenantEvent {
  return {
    id: row.id,
    type: row.type,
    createdAt: row.created_at.toISOString(),
    sequence: Number(row.sequence),
    data: row.data,
    cause: row.cause,
  };
}
