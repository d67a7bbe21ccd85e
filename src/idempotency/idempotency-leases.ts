import { Injectable, Logger } from '@nestjs/common';
import { AppConfig } from '../config/app-config';
import { UnitOfWork } from '../database/unit-of-work';
import { duplicateInProgress } from './idempotency.exception';
import { IdempotencyRecordStore } from './idempotency-record.store';
import { IdempotencyScope } from './idempotency-scope';
import { IdempotencyCache } from './idempotency.cache';
import { IdempotencyMetrics } from './idempotency.metrics';

export interface IdempotencyLease {
  readonly scope: IdempotencyScope;
  readonly scopeId: string;
  readonly requestHash: string;
  readonly token: string;
  readonly heartbeat: NodeJS.Timeout;
  /** Local time of the last successful claim or renewal; the lock is ours for a lock TTL from then. */
  confirmedAt: number;
  lost: boolean;
  /** False only when a deferred claim claimed nothing; none of the handler's writes committed then. */
  readonly claimed: Promise<boolean>;
}

const CLAIMED = Promise.resolve(true);

@Injectable()
export class IdempotencyLeases {
  private readonly logger = new Logger(IdempotencyLeases.name);

  constructor(
    private readonly config: AppConfig,
    private readonly records: IdempotencyRecordStore,
    private readonly cache: IdempotencyCache,
    private readonly metrics: IdempotencyMetrics,
  ) {}

  private get lockTtlMs(): number {
    return this.config.idempotency.lockTtlSeconds * 1000;
  }

  grant(
    scope: IdempotencyScope,
    scopeId: string,
    requestHash: string,
    token: string,
    confirmedAt: number,
    claimed: Promise<boolean> = CLAIMED,
  ): IdempotencyLease {
    const lease: IdempotencyLease = {
      scope,
      scopeId,
      requestHash,
      token,
      confirmedAt,
      lost: false,
      claimed,
      heartbeat: setInterval(() => void this.renew(lease), Math.max(this.lockTtlMs / 3, 100)),
    };
    lease.heartbeat.unref();
    return lease;
  }

  /** Rejects with 409 once taken over; a lock confirmed within half a TTL is trusted without a query. */
  async ensureHeld(lease: IdempotencyLease): Promise<void> {
    // No client sees this error: `settle` answers from the key's record instead.
    if (!(await this.confirmClaim(lease))) throw new Error('The claim claimed nothing');
    if (!lease.lost && Date.now() - lease.confirmedAt < this.lockTtlMs / 2) return;
    if (!lease.lost) await this.renew(lease);
    if (lease.lost) {
      this.metrics.record('conflict');
      throw duplicateInProgress(
        'This request was taken over by a retry with the same Idempotency-Key; retry later',
      );
    }
  }

  async confirmClaim(lease: IdempotencyLease): Promise<boolean> {
    await UnitOfWork.current()?.flush();
    return lease.claimed;
  }

  end(lease: IdempotencyLease): void {
    clearInterval(lease.heartbeat);
  }

  /** Once lost, a lease is never renewed again, so the new holder's record and marker stay untouched. */
  private async renew(lease: IdempotencyLease): Promise<void> {
    if (lease.lost) return;
    const sentAt = Date.now();
    try {
      if (await this.records.renew(lease.scope, lease.token)) {
        lease.confirmedAt = Math.max(lease.confirmedAt, sentAt);
      } else {
        lease.lost = true;
        clearInterval(lease.heartbeat);
        this.logger.warn({ scopeId: lease.scopeId }, 'Idempotency lock taken over; this execution stops');
        return;
      }
    } catch (error) {
      // With PostgreSQL unreachable the lock can be neither confirmed nor taken by anyone else.
      this.logger.warn({ scopeId: lease.scopeId, err: error }, 'Lock renewal failed');
    }
    await this.cache.renew(lease.scopeId, lease.token, this.lockTtlMs);
  }
}
