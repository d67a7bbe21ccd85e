import { Injectable, Logger, OnApplicationShutdown } from '@nestjs/common';
import { isDatabaseUnavailableError } from '../common/errors/database-unavailable';
import { describeError } from '../common/errors/error-like';
import { AppConfig } from '../config/app-config';
import { UnitOfWork } from '../database/unit-of-work';
import { StoredResponse } from './entities/payment-idempotency.entity';
import { IdempotencyRecordStore } from './idempotency-record.store';
import { IdempotencyScope } from './idempotency-scope';

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

/** Past this many, the oldest is dropped and its key lapses with the lock TTL, like a dead process's. */
export const MAX_UNWRITTEN_SETTLEMENTS = 10_000;

/** Doubles from the first delay to the last, so a recovered database is noticed within about two seconds. */
const FIRST_RETRY_MS = 100;
const LONGEST_RETRY_MS = 2000;

interface Kept {
  settlement: UnwrittenSettlement;
  /** After the lock TTL the key can be taken over anyway, so the write is no longer worth keeping. */
  givesUpAt: number;
}

/**
 * Settlements that could not be written during a database outage (docs/design/idempotency.md, "Outages");
 * without them a released key would stay `in_progress` for the lock TTL. Each write is conditioned on the
 * lock token, so writing it late never touches a key taken over meanwhile.
 */
@Injectable()
export class UnwrittenSettlements implements OnApplicationShutdown {
  private readonly logger = new Logger(UnwrittenSettlements.name);
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

  /** Writes oldest first and stops at the first sign that the database is still unavailable. */
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
          // The database answered and refused; retrying would not change its answer.
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
    // Outside the request's unit of work, which is closed by the time the timer fires.
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
