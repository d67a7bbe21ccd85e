import { Injectable, Logger, OnApplicationShutdown } from '@nestjs/common';
import { isDatabaseUnavailableError } from '../common/errors/database-unavailable';
import { describeError } from '../common/errors/error-like';
import { AppConfig } from '../config/app-config';
import { UnitOfWork } from '../database/unit-of-work';
import { StoredResponse } from './entities/payment-idempotency.entity';
import { IdempotencyRecordStore } from './idempotency-record.store';
import { IdempotencyScope } from './idempotency-scope';

/** How an execution ended for its key, when that could not be written at the time. */
export type UnwrittenSettlement =
  | { kind: 'release'; scope: IdempotencyScope; scopeId: string; token: string }
  | {
      kind: 'complete';
      scope: IdempotencyScope;
      scopeId: string;
      token: string;
      response: StoredResponse;
      ttlSeconds: number;
    };

/** Past this many, the oldest is given up: its key lapses with the lock TTL, as a dead process's does. */
export const MAX_UNWRITTEN_SETTLEMENTS = 10_000;

/** First retry, then doubling up to the last: a database back is noticed within about two seconds. */
const FIRST_RETRY_MS = 100;
const LONGEST_RETRY_MS = 2000;

interface Kept {
  settlement: UnwrittenSettlement;
  /** Once the lock TTL has run out the key can be taken over anyway: the write is no longer worth keeping. */
  givesUpAt: number;
}

/**
 * Settlements of keys whose execution ended while PostgreSQL could not be written
 * (docs/design/idempotency.md, "Outages"): this process knows the execution is over, so it keeps the release (or the stored
 * response) and writes it as soon as the database answers, retrying with a short backoff.
 * Without this, a key whose release failed stays `in_progress` for the whole lock TTL and every
 * retry after the outage answers 409. Only a process that died leaves a key to the TTL.
 *
 * Each write is conditioned on the execution's own lock token, so writing it late is safe: a
 * key taken over meanwhile is not touched. Memory is bounded (`MAX_UNWRITTEN_SETTLEMENTS`, one
 * per key); what is still unwritten at shutdown lapses with the lock TTL.
 */
@Injectable()
export class UnwrittenSettlements implements OnApplicationShutdown {
  private readonly logger = new Logger(UnwrittenSettlements.name);
  /** By scope id, oldest first (a Map keeps insertion order). */
  private readonly kept = new Map<string, Kept>();
  private timer: NodeJS.Timeout | undefined;
  private flushing = false;
  private delayMs = FIRST_RETRY_MS;

  constructor(
    private readonly config: AppConfig,
    private readonly records: IdempotencyRecordStore,
  ) {}

  get size(): number {
    return this.kept.size;
  }

  /** Keeps `settlement` to be written once the database answers; a later one for the same key replaces it. */
  keep(settlement: UnwrittenSettlement): void {
    this.kept.delete(settlement.scopeId);
    if (this.kept.size >= MAX_UNWRITTEN_SETTLEMENTS) {
      const [oldest] = this.kept.keys();
      this.kept.delete(oldest);
      this.logger.warn(
        { scopeId: oldest },
        'Too many unwritten key settlements; the oldest lapses with the lock TTL',
      );
    }
    this.kept.set(settlement.scopeId, {
      settlement,
      givesUpAt: Date.now() + this.config.idempotency.lockTtlSeconds * 1000,
    });
    this.delayMs = FIRST_RETRY_MS;
    this.schedule();
  }

  onApplicationShutdown(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
  }

  /** Writes what is kept, oldest first; stops at the first sign the database is still away. */
  async flush(): Promise<void> {
    if (this.flushing) return;
    this.flushing = true;
    try {
      for (const [scopeId, { settlement, givesUpAt }] of this.kept) {
        if (Date.now() >= givesUpAt) {
          this.kept.delete(scopeId);
          continue;
        }
        try {
          await this.write(settlement);
          this.kept.delete(scopeId);
          this.logger.log(
            { scopeId, kind: settlement.kind },
            'Wrote a key settlement kept through an outage',
          );
        } catch (error) {
          if (isDatabaseUnavailableError(error)) break;
          // The database answered and refused: retrying would not change its answer.
          this.kept.delete(scopeId);
          this.logger.warn({ scopeId, err: describeError(error) }, 'Could not write a kept key settlement');
        }
      }
    } finally {
      this.flushing = false;
    }
    if (this.kept.size > 0) {
      this.delayMs = Math.min(this.delayMs * 2, LONGEST_RETRY_MS);
      this.schedule();
    }
  }

  private schedule(): void {
    if (this.timer) return;
    // Outside the request's unit of work: the kept write is a statement of its own, and the
    // request's unit is closed by the time it runs.
    this.timer = UnitOfWork.outside(() =>
      setTimeout(() => {
        this.timer = undefined;
        void this.flush();
      }, this.delayMs),
    );
    this.timer.unref();
  }

  private async write(settlement: UnwrittenSettlement): Promise<void> {
    await UnitOfWork.outside(() =>
      settlement.kind === 'release'
        ? this.records.release(settlement.scope, settlement.token)
        : this.records.complete(
            settlement.scope,
            settlement.token,
            settlement.response,
            settlement.ttlSeconds,
          ),
    );
  }
}
