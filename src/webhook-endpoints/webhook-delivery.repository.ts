import { Injectable } from '@nestjs/common';
import { InjectEntityManager } from '@nestjs/typeorm';
import { EntityManager } from 'typeorm';
import { beforeCursor, decodeKeysetCursor, micros, Page, pageOf } from '../common/pagination/keyset-cursor';
import {
  ATTEMPT_LOG_KEPT,
  AttemptResult,
  ClaimedDelivery,
  DeliveryAttempt,
  DeliveryStatus,
  DueDelivery,
  NewDelivery,
  WebhookDelivery,
} from './webhook-delivery.types';

export * from './webhook-delivery.types';

interface DeliveryRow {
  id: string;
  event_id: string;
  event_type: string;
  endpoint_id: string;
  status: DeliveryStatus;
  attempts: number;
  next_attempt_at: Date | null;
  delivered_at: Date | null;
  created_at: Date;
  attempt_log: DeliveryAttempt[];
  cursor_micros: string;
}

const COLUMNS = `id, event_id, event_type, endpoint_id, status, attempts, next_attempt_at, delivered_at, created_at,
  attempt_log, ${micros('created_at')}::text AS cursor_micros`;

/** The deliveries' own statements start their rounds with this (`$n` is the horizon in ms). */
const RESTART = (n: number) => `status = 'pending', next_attempt_at = now(), round_attempts = 0,
  give_up_at = now() + $${n} * interval '1 millisecond', updated_at = now()`;

/** Appends `entry` to the log, keeping the last `ATTEMPT_LOG_KEPT`. */
const LOG = (entry: string) =>
  `jsonb_path_query_array(attempt_log || jsonb_build_array(${entry}), '$[last - ${ATTEMPT_LOG_KEPT - 1} to last]')`;

/**
 * `webhook_deliveries`, every statement against it: one row per (event, endpoint), the record of
 * what is left to deliver. `next_attempt_at` is when the next attempt is due, by the database
 * clock; a worker's claim moves it past the attempt's end, so an attempt whose worker died is due
 * again once that time has passed.
 */
@Injectable()
export class WebhookDeliveryRepository {
  constructor(@InjectEntityManager() private readonly manager: EntityManager) {}

  /** Creates the deliveries not there yet, due now; answers those created pending. */
  async insertMany(
    transaction: EntityManager,
    deliveries: NewDelivery[],
    horizonMs: number,
  ): Promise<DueDelivery[]> {
    if (deliveries.length === 0) return [];
    // An INSERT answers its rows alone (an UPDATE, its rows and their count).
    const rows = await transaction.query<Array<{ id: string; status: DeliveryStatus }>>(
      `INSERT INTO webhook_deliveries (id, tenant_id, event_id, endpoint_id, event_type, event_created_at,
                                       status, next_attempt_at, give_up_at, attempt_log)
       SELECT d.id, d.tenant_id, d.event_id, d.endpoint_id, d.event_type, d.event_created_at,
              CASE WHEN d.disabled THEN 'failed' ELSE 'pending' END,
              CASE WHEN d.disabled THEN NULL ELSE now() END,
              d.event_created_at + $8 * interval '1 millisecond',
              CASE WHEN d.disabled THEN jsonb_build_array(jsonb_build_object('attempt', 0, 'at', now(),
                'statusCode', NULL, 'durationMs', NULL, 'error', 'Not attempted: the endpoint is disabled',
                'nextAttemptAt', NULL)) ELSE '[]'::jsonb END
       FROM unnest($1::uuid[], $2::uuid[], $3::uuid[], $4::uuid[], $5::varchar[], $6::timestamptz[], $7::boolean[])
         AS d (id, tenant_id, event_id, endpoint_id, event_type, event_created_at, disabled)
       ON CONFLICT (event_id, endpoint_id) DO NOTHING RETURNING id, status`,
      [
        deliveries.map((d) => d.id),
        deliveries.map((d) => d.tenantId),
        deliveries.map((d) => d.eventId),
        deliveries.map((d) => d.endpointId),
        deliveries.map((d) => d.eventType),
        deliveries.map((d) => d.eventCreatedAt),
        deliveries.map((d) => d.endpointDisabled),
        horizonMs,
      ],
    );
    return rows.filter((row) => row.status === 'pending').map((row) => ({ id: row.id, attempts: 0 }));
  }

  /** Puts an event's deliveries to `endpointIds` back to pending (creating those missing), due now, for a new round. */
  async restartForEvent(
    transaction: EntityManager,
    event: { id: string; tenantId: string; type: string; createdAt: Date },
    endpointIds: readonly string[],
    horizonMs: number,
  ): Promise<DueDelivery[]> {
    if (endpointIds.length === 0) return [];
    return transaction.query<DueDelivery[]>(
      `INSERT INTO webhook_deliveries AS d (id, tenant_id, event_id, endpoint_id, event_type, event_created_at,
                                            status, next_attempt_at, give_up_at)
       SELECT gen_random_uuid(), $1, $2, endpoint_id, $3, $4, 'pending', now(), now() + $6 * interval '1 millisecond'
       FROM unnest($5::uuid[]) AS endpoint_id
       ON CONFLICT (event_id, endpoint_id) DO UPDATE SET ${RESTART(6)}
       RETURNING d.id, d.attempts`,
      [event.tenantId, event.id, event.type, event.createdAt, endpointIds, horizonMs],
    );
  }

  /** Puts the endpoint's failed deliveries of events created since `since` back to pending, due now. */
  async restartFailed(
    transaction: EntityManager,
    endpointId: string,
    since: Date,
    horizonMs: number,
  ): Promise<DueDelivery[]> {
    const [rows] = await transaction.query<[DueDelivery[], number]>(
      `UPDATE webhook_deliveries SET ${RESTART(3)}
       WHERE endpoint_id = $1 AND status = 'failed' AND event_created_at >= $2 RETURNING id, attempts`,
      [endpointId, since, horizonMs],
    );
    return rows;
  }

  /** Deliveries due now, the longest due first. */
  due(limit: number): Promise<DueDelivery[]> {
    return this.manager.query<DueDelivery[]>(
      `SELECT id, attempts FROM webhook_deliveries WHERE status = 'pending' AND next_attempt_at <= now()
       ORDER BY next_attempt_at LIMIT $1`,
      [limit],
    );
  }

  /**
   * Takes a due delivery for one attempt: counts it, and moves its next attempt `leaseMs` ahead,
   * past the attempt's end. Answers nothing when it is not due (another worker has it, or it is
   * settled): a second job for it is a stale copy.
   */
  async claim(id: string, leaseMs: number): Promise<ClaimedDelivery | undefined> {
    const [rows] = await this.manager.query<
      [
        Array<{
          id: string;
          event_id: string;
          endpoint_id: string;
          attempts: number;
          round_attempts: number;
        }>,
        number,
      ]
    >(
      `UPDATE webhook_deliveries SET attempts = attempts + 1, round_attempts = round_attempts + 1,
         next_attempt_at = now() + $2 * interval '1 millisecond', updated_at = now()
       WHERE id = $1 AND status = 'pending' AND next_attempt_at <= now()
       RETURNING id, event_id, endpoint_id, attempts, round_attempts`,
      [id, leaseMs],
    );
    const row = rows[0];
    return (
      row && {
        id: row.id,
        eventId: row.event_id,
        endpointId: row.endpoint_id,
        attempts: row.attempts,
        roundAttempts: row.round_attempts,
      }
    );
  }

  /**
   * Records the outcome of attempt `result.attempt`: succeeded, due again after the delay, or
   * failed once the next attempt would fall past `give_up_at`. Answers the new status, or
   * nothing when the attempt is no longer the delivery's latest (its lease ran out, another began).
   */
  async finishAttempt(
    transaction: EntityManager,
    result: AttemptResult,
  ): Promise<DeliveryStatus | undefined> {
    const [rows] = await transaction.query<[Array<{ status: DeliveryStatus }>, number]>(
      `WITH outcome AS (
         SELECT id, CASE WHEN $3 THEN NULL WHEN now() + $7 * interval '1 millisecond' > give_up_at THEN NULL
                         ELSE now() + $7 * interval '1 millisecond' END AS next_at
         FROM webhook_deliveries WHERE id = $1 AND attempts = $2 AND status = 'pending' FOR UPDATE)
       UPDATE webhook_deliveries d SET
         status = CASE WHEN $3 THEN 'succeeded' WHEN outcome.next_at IS NULL THEN 'failed' ELSE 'pending' END,
         next_attempt_at = outcome.next_at,
         delivered_at = CASE WHEN $3 THEN now() ELSE d.delivered_at END,
         attempt_log = ${LOG(`jsonb_build_object('attempt', $2::int, 'at', now(), 'statusCode', $4::int,
           'durationMs', $5::int, 'error', $6::text, 'nextAttemptAt', outcome.next_at)`)},
         updated_at = now()
       FROM outcome WHERE d.id = outcome.id RETURNING d.status`,
      [
        result.id,
        result.attempt,
        result.ok,
        result.statusCode,
        result.durationMs,
        result.error?.slice(0, 2000) ?? null,
        result.retryDelayMs,
      ],
    );
    return rows[0]?.status;
  }

  /** Settles a claimed delivery without an attempt (its event is gone, its endpoint disabled). */
  async settleUnattempted(
    transaction: EntityManager,
    id: string,
    attempt: number,
    reason: string,
  ): Promise<void> {
    await transaction.query(
      `UPDATE webhook_deliveries SET status = 'failed', next_attempt_at = NULL, updated_at = now(),
         attempt_log = ${LOG(`jsonb_build_object('attempt', $2::int, 'at', now(), 'statusCode', NULL,
           'durationMs', NULL, 'error', $3::text, 'nextAttemptAt', NULL)`)}
       WHERE id = $1 AND attempts = $2 AND status = 'pending'`,
      [id, attempt, reason],
    );
  }

  /** Fails every pending delivery of an endpoint being disabled. */
  async failPendingOfEndpoint(
    transaction: EntityManager,
    endpointId: string,
    reason: string,
  ): Promise<number> {
    const [, affected] = await transaction.query<[unknown, number]>(
      `UPDATE webhook_deliveries SET status = 'failed', next_attempt_at = NULL, updated_at = now(),
         attempt_log = ${LOG(`jsonb_build_object('attempt', 0, 'at', now(), 'statusCode', NULL,
           'durationMs', NULL, 'error', $2::text, 'nextAttemptAt', NULL)`)}
       WHERE endpoint_id = $1 AND status = 'pending'`,
      [endpointId, reason],
    );
    return affected;
  }

  /** An endpoint's deliveries, newest first, keyset-paginated on (created_at, id). */
  async listForEndpoint(query: {
    endpointId: string;
    status?: DeliveryStatus;
    limit: number;
    cursor?: string;
  }): Promise<Page<WebhookDelivery>> {
    const after = query.cursor ? decodeKeysetCursor(query.cursor) : undefined;
    const rows = await this.manager.query<DeliveryRow[]>(
      `SELECT ${COLUMNS} FROM webhook_deliveries
       WHERE endpoint_id = $1 AND ($2::text IS NULL OR status = $2) AND ${beforeCursor('created_at', 'id', 3)}
       ORDER BY created_at DESC, id DESC LIMIT $5`,
      [query.endpointId, query.status ?? null, after?.micros ?? null, after?.id ?? null, query.limit + 1],
    );
    return pageOf(rows, query.limit, toDelivery);
  }

  /** Deliveries by status and when the oldest event still to deliver was recorded, for the gauges. */
  async backlog(): Promise<{ pending: number; oldestPendingEventAt: Date | null }> {
    const [row] = await this.manager.query<Array<{ pending: number; oldest: Date | null }>>(
      `SELECT count(*)::int AS pending, min(event_created_at) AS oldest FROM webhook_deliveries WHERE status = 'pending'`,
    );
    return { pending: row.pending, oldestPendingEventAt: row.oldest };
  }
}

function toDelivery(row: DeliveryRow): WebhookDelivery {
  return {
    id: row.id,
    eventId: row.event_id,
    eventType: row.event_type,
    endpointId: row.endpoint_id,
    status: row.status,
    attempts: row.attempts,
    nextAttemptAt: row.next_attempt_at,
    deliveredAt: row.delivered_at,
    createdAt: row.created_at,
    attemptLog: row.attempt_log,
  };
}
