import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { QueryResult, QueryResultRow } from 'pg';
import { DataSource } from 'typeorm';
import { PreparedStatement, runPrepared } from '../database/prepared-statement';
import { runInUnitOfWork, UnitOfWork } from '../database/unit-of-work';
import { IdempotencyStatus, StoredResponse } from './entities/payment-idempotency.entity';
import { IdempotencyScope } from './idempotency-scope';

export interface ExistingRecord {
  requestHash: string;
  status: IdempotencyStatus;
  response: StoredResponse | null;
  ttlMs: number;
}

export type ClaimResult =
  { claimed: true; takeover: boolean } | { claimed: false; existing: ExistingRecord | null };

interface ClaimRow {
  previous_status: IdempotencyStatus | null;
}

interface RecordRow {
  request_hash: string;
  status: IdempotencyStatus;
  response: StoredResponse | null;
  ttl_ms: string;
}

const SCOPE = 'tenant_id = $1 AND user_id = $2 AND idempotency_key = $3';

const PREVIOUS = `previous AS (SELECT status FROM payment_idempotency WHERE ${SCOPE})`;

const CLAIM_INSERT = `INSERT INTO payment_idempotency AS record
         (tenant_id, user_id, idempotency_key, request_hash, status, response, locked_at, lock_token, expires_at)
       VALUES ($1, $2, $3, $4, 'in_progress', NULL, now(), $5, now() + make_interval(secs => $7))
       ON CONFLICT (tenant_id, user_id, idempotency_key) DO UPDATE
         SET request_hash = EXCLUDED.request_hash, status = 'in_progress', response = NULL,
             locked_at = now(), lock_token = EXCLUDED.lock_token, expires_at = EXCLUDED.expires_at,
             updated_at = now()
         WHERE (record.status = 'completed' AND record.expires_at <= now())
            OR (record.status = 'in_progress'
                AND record.locked_at <= now() - make_interval(secs => $6)
                AND (record.request_hash = EXCLUDED.request_hash OR record.expires_at <= now()))`;

// Runs on every new request, so it is prepared once per connection (see `PreparedStatement`).
const CLAIM: PreparedStatement = {
  name: 'payment_idempotency_claim',
  text: `WITH ${PREVIOUS} ${CLAIM_INSERT} RETURNING (SELECT status FROM previous) AS previous_status`,
};

/**
 * Fails when it claims nothing: dividing by the rows claimed raises `division_by_zero` (22012), which aborts
 * the transaction so that nothing sent after it commits.
 */
const CLAIM_OR_FAIL: PreparedStatement = {
  name: 'payment_idempotency_claim_or_fail',
  text: `WITH ${PREVIOUS}, claimed AS (${CLAIM_INSERT} RETURNING 1)
       SELECT (SELECT status FROM previous) AS previous_status, 1 / (SELECT count(*) FROM claimed) AS claimed`,
};

const NOTHING_CLAIMED = '22012';

const COMPLETE: PreparedStatement = {
  name: 'payment_idempotency_complete',
  text: `UPDATE payment_idempotency
         SET status = 'completed', response = $5::jsonb, locked_at = NULL, lock_token = NULL,
             expires_at = now() + make_interval(secs => $6), updated_at = now()
       WHERE ${SCOPE} AND lock_token = $4`,
};

/**
 * The record of truth (docs/design/idempotency.md). Each transition is one statement guarded by the lock
 * token, with expiry by the database clock. Renewals run outside the request's unit of work, so a heartbeat
 * neither waits for nor rolls back with it.
 */
@Injectable()
export class IdempotencyRecordStore {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  /**
   * Takes over a record dead in effect: completed and expired, or in progress with a lock not renewed for
   * `lockTtlSeconds` (for a different request, only once also expired). A live lock is never taken.
   */
  async claim(
    scope: IdempotencyScope,
    requestHash: string,
    lockToken: string,
    lockTtlSeconds: number,
    ttlSeconds: number,
  ): Promise<ClaimResult> {
    const { rows } = await this.writePrepared<ClaimRow>(
      CLAIM,
      claimValues(scope, requestHash, lockToken, lockTtlSeconds, ttlSeconds),
    );
    if (rows.length > 0) return { claimed: true, takeover: rows[0].previous_status === 'in_progress' };
    return { claimed: false, existing: await this.find(scope) };
  }

  /** Sends the claim with the next statement; if it claims nothing, nothing after it commits. */
  async claimWithNextStatement(
    scope: IdempotencyScope,
    requestHash: string,
    lockToken: string,
    lockTtlSeconds: number,
    ttlSeconds: number,
  ): Promise<{ claimed: Promise<{ claimed: true; takeover: boolean } | { claimed: false }> }> {
    const unit = UnitOfWork.current();
    if (!unit) throw new Error('A claim sent with the next statement needs a unit of work');
    const { answer } = await unit.defer((manager) =>
      runPrepared<ClaimRow>(
        manager,
        CLAIM_OR_FAIL,
        claimValues(scope, requestHash, lockToken, lockTtlSeconds, ttlSeconds),
      ),
    );
    return {
      claimed: answer.then(
        ({ rows }) => ({ claimed: true as const, takeover: rows[0]?.previous_status === 'in_progress' }),
        (error: unknown) => {
          if ((error as { code?: unknown }).code === NOTHING_CLAIMED) return { claimed: false as const };
          throw error;
        },
      ),
    };
  }

  async find(scope: IdempotencyScope): Promise<ExistingRecord | null> {
    const rows: RecordRow[] = await runInUnitOfWork('read', this.dataSource.manager, (manager) =>
      manager.query(
        `SELECT request_hash, status, response,
              floor(extract(epoch FROM expires_at - now()) * 1000)::bigint AS ttl_ms
       FROM payment_idempotency WHERE ${SCOPE} AND (expires_at > now() OR status = 'in_progress')`,
        [scope.tenantId, scope.userId, scope.key],
      ),
    );
    const row = rows[0];
    return row
      ? {
          requestHash: row.request_hash,
          status: row.status,
          response: row.response,
          ttlMs: Number(row.ttl_ms),
        }
      : null;
  }

  async renew(scope: IdempotencyScope, lockToken: string): Promise<boolean> {
    return this.affectsOne(
      (sql, parameters) => this.dataSource.query(sql, parameters),
      `UPDATE payment_idempotency SET locked_at = now()
       WHERE ${SCOPE} AND lock_token = $4 AND status = 'in_progress'`,
      [scope.tenantId, scope.userId, scope.key, lockToken],
    );
  }

  async complete(
    scope: IdempotencyScope,
    lockToken: string,
    response: StoredResponse,
    ttlSeconds: number,
  ): Promise<boolean> {
    const { rowCount } = await this.writePrepared(
      COMPLETE,
      [scope.tenantId, scope.userId, scope.key, lockToken, JSON.stringify(response), ttlSeconds],
      'commit',
    );
    return rowCount === 1;
  }

  async release(scope: IdempotencyScope, lockToken: string): Promise<void> {
    await runInUnitOfWork('commit', this.dataSource.manager, (manager) =>
      manager.query(`DELETE FROM payment_idempotency WHERE ${SCOPE} AND lock_token = $4`, [
        scope.tenantId,
        scope.userId,
        scope.key,
        lockToken,
      ]),
    );
  }

  async deleteExpired(lockTtlSeconds: number, limit = 1000): Promise<number> {
    const result: [unknown[], number] = await this.dataSource.query(
      `DELETE FROM payment_idempotency WHERE ctid IN (
         SELECT ctid FROM payment_idempotency
         WHERE expires_at <= now()
           AND (status = 'completed' OR locked_at <= now() - make_interval(secs => $2))
         LIMIT $1)`,
      [limit, lockTtlSeconds],
    );
    return result[1];
  }

  private async affectsOne(
    run: (sql: string, parameters: unknown[]) => Promise<[unknown[], number]>,
    sql: string,
    parameters: unknown[],
  ): Promise<boolean> {
    const result = await run(sql, parameters);
    return result[1] === 1;
  }

  private writePrepared<R extends QueryResultRow>(
    statement: PreparedStatement,
    values: unknown[],
    role: 'write' | 'commit' = 'write',
  ): Promise<QueryResult<R>> {
    return runInUnitOfWork(role, this.dataSource.manager, (manager) =>
      runPrepared<R>(manager, statement, values),
    );
  }
}

function claimValues(
  scope: IdempotencyScope,
  requestHash: string,
  lockToken: string,
  lockTtlSeconds: number,
  ttlSeconds: number,
): unknown[] {
  return [scope.tenantId, scope.userId, scope.key, requestHash, lockToken, lockTtlSeconds, ttlSeconds];
}
