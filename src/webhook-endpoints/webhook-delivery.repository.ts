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

/** Starts a new round; `$n` is the horizon in ms. */
const RESTART = (n: number) => `status = 'pending', next_attempt_at = now(), round_attempts = 0,
  give_up_at = now() + $${n} * interval '1 millisecond', updated_at = now()`;

/** Appends `entry` to the log, keeping the last `ATTEMPT_LOG_KEPT`. */
const LOG = (entry: string) =>
  `jsonb_path_query_array(attempt_log || jsonb_build_array(${entry}), '$[last - ${ATTEMPT_LOG_KEPT - 1} to last]')`;

/**
 * One row per (event, endpoint). A claim moves `next_attempt_at` past the attempt's end, by the database
 * clock, so an attempt whose worker died is due again once that time has passed.
 */
@Injectable()
export class WebhookDeliveryRepository {
  constructor(@InjectEntityManager() private readonly manager: EntityManager) {}

  async insertMany(
    transaction: EntityManager,
    deliveries: NewDelivery[],
    horizonMs: number,
  ): Promise<DueDelivery[]> {
    if (deliveries.length === 0) return [];
    // TypeORM returns an INSERT's rows as they are, an UPDATE's as [rows, count].
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

  /** Creates the deliveries missing and starts a new round for the others. */
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

  due(limit: number): Promise<DueDelivery[]> {
    return this.manager.query<DueDelivery[]>(
      `SELECT id, attempts FROM webhook_deliveries WHERE status = 'pending' AND next_attempt_at <= now()
       ORDER BY next_attempt_at LIMIT $1`,
      [limit],
    );
  }

  /**
   * Counts the attempt and moves the next one `leaseMs` ahead, past this one's end. Returns undefined when
   * the delivery is not due (another worker has it, or it is settled): this job is a stale copy.
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
   * The delivery is `failed` once the next attempt would fall past `give_up_at`. Returns undefined when the
   * attempt is no longer the delivery's latest (its lease ran out and another began).
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
