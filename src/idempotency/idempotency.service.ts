import { Injectable, Logger } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { AppConfig } from '../config/app-config';
import { StoredResponse } from './entities/payment-idempotency.entity';
import { IdempotencyErrorCode, IdempotencyException } from './idempotency-error-code';
import { storagePolicyFor } from './idempotency-policy';
import { ExistingRecord, IdempotencyRecordStore } from './idempotency-record.store';
import { IdempotencyScope, scopeId } from './idempotency-scope';
import { IdempotencyCache } from './idempotency.cache';
import { IdempotencyMetrics } from './idempotency.metrics';

/** The right to execute a scoped request, held while its handler runs. */
export interface IdempotencyLease {
  readonly scope: IdempotencyScope;
  readonly scopeId: string;
  readonly requestHash: string;
  readonly token: string;
  readonly heartbeat: NodeJS.Timeout;
}

export type BeginOutcome =
  { kind: 'execute'; lease: IdempotencyLease } | { kind: 'replay'; response: StoredResponse };

// A claim can find the record gone (released by a failed first attempt) between its INSERT and
// its SELECT; it then simply claims again.
const MAX_CLAIM_ATTEMPTS = 3;

/**
 * Exactly-once execution of a scoped request (SPEC §4). PostgreSQL decides; Redis answers
 * replays and contention early when it can, and its absence changes nothing but speed.
 */
@Injectable()
export class IdempotencyService {
  private readonly logger = new Logger(IdempotencyService.name);

  constructor(
    private readonly config: AppConfig,
    private readonly records: IdempotencyRecordStore,
    private readonly cache: IdempotencyCache,
    private readonly metrics: IdempotencyMetrics,
  ) {}

  private get lockTtlMs(): number {
    return this.config.idempotency.lockTtlSeconds * 1000;
  }

  async begin(scope: IdempotencyScope, requestHash: string): Promise<BeginOutcome> {
    const id = scopeId(scope);
    const token = randomUUID();
    const lookup = await this.cache.lookupOrLock(id, { statusCode: 102, requestHash, token }, this.lockTtlMs);
    if ('cached' in lookup) return this.replay(lookup.cached.requestHash, requestHash, lookup.cached);
    if ('acquired' in lookup && !lookup.acquired) {
      if (lookup.holder && lookup.holder.requestHash !== requestHash) throw this.mismatch();
      // Another execution holds the fast lock; it may have finished since: ask the record.
      const existing = await this.records.find(scope);
      return this.fromExisting(existing, requestHash, id) ?? Promise.reject(this.conflict());
    }

    try {
      for (let attempt = 1; attempt <= MAX_CLAIM_ATTEMPTS; attempt++) {
        const claim = await this.records.claim(
          scope,
          requestHash,
          token,
          this.config.idempotency.lockTtlSeconds,
          this.config.idempotency.ttlSeconds,
        );
        if (claim.claimed) {
          this.metrics.record(claim.takeover ? 'takeover' : 'new');
          return { kind: 'execute', lease: this.lease(scope, id, requestHash, token) };
        }
        const outcome = this.fromExisting(claim.existing, requestHash, id);
        if (outcome) {
          await this.cache.release(id, token);
          return outcome;
        }
      }
      throw this.conflict();
    } catch (error) {
      await this.cache.release(id, token);
      throw error;
    }
  }

  /**
   * Records how the execution ended: stored for replay when the policy says so, otherwise
   * forgotten so the key is free again. A failure to write is logged, never thrown: the
   * client still gets its answer, and the record's lock lapses into a safe re-execution.
   */
  async settle(lease: IdempotencyLease, response: StoredResponse): Promise<void> {
    clearInterval(lease.heartbeat);
    const policy = storagePolicyFor(response.statusCode);
    if (policy === 'none') {
      await this.release(lease);
      return;
    }
    const ttlSeconds =
      policy === 'success'
        ? this.config.idempotency.ttlSeconds
        : this.config.idempotency.clientErrorTtlSeconds;
    let completed: boolean;
    try {
      completed = await this.records.complete(lease.scope, lease.token, response, ttlSeconds);
    } catch (error) {
      this.logger.error({ scopeId: lease.scopeId, err: error }, 'Could not store result');
      return;
    }
    if (!completed) {
      // Another execution took the key over: its result is the one to keep, not ours.
      this.logger.warn({ scopeId: lease.scopeId }, 'Idempotency lock was taken over before completion');
      await this.cache.release(lease.scopeId, lease.token);
      return;
    }
    // Not awaited: PostgreSQL has the result, and a retry that comes before the cache is
    // written finds the lock marker, asks PostgreSQL and replays from there.
    void this.cache.storeResponse(
      lease.scopeId,
      lease.token,
      { ...response, requestHash: lease.requestHash },
      ttlSeconds * 1000,
    );
  }

  private async release(lease: IdempotencyLease): Promise<void> {
    try {
      await this.records.release(lease.scope, lease.token);
    } catch (error) {
      this.logger.warn({ scopeId: lease.scopeId, err: error }, 'Could not release key');
    }
    await this.cache.release(lease.scopeId, lease.token);
  }

  /** Deletes up to `limit` expired records (for the cleanup job); never one a live request holds. */
  deleteExpired(limit?: number): Promise<number> {
    return this.records.deleteExpired(this.config.idempotency.lockTtlSeconds, limit);
  }

  /** Starts renewing the lock so a slow but live execution is never taken over. */
  private lease(scope: IdempotencyScope, id: string, requestHash: string, token: string): IdempotencyLease {
    const heartbeat = setInterval(() => void this.renew(scope, id, token), Math.max(this.lockTtlMs / 3, 100));
    heartbeat.unref();
    return { scope, scopeId: id, requestHash, token, heartbeat };
  }

  private async renew(scope: IdempotencyScope, id: string, token: string): Promise<void> {
    try {
      const renewed = await this.records.renew(scope, token);
      if (!renewed) this.logger.warn({ scopeId: id }, 'Idempotency lock no longer held');
    } catch (error) {
      this.logger.warn({ scopeId: id, err: error }, 'Lock renewal failed');
    }
    await this.cache.renew(id, token, this.lockTtlMs);
  }

  private fromExisting(
    existing: ExistingRecord | null,
    requestHash: string,
    id: string,
  ): BeginOutcome | undefined {
    if (!existing) return undefined;
    if (existing.requestHash !== requestHash) throw this.mismatch();
    if (existing.status === 'in_progress' || !existing.response) throw this.conflict();
    void this.cache.storeResponse(id, undefined, { ...existing.response, requestHash }, existing.ttlMs);
    return this.replay(existing.requestHash, requestHash, existing.response);
  }

  private replay(storedHash: string, requestHash: string, response: StoredResponse): BeginOutcome {
    if (storedHash !== requestHash) throw this.mismatch();
    this.metrics.record('replayed');
    return {
      kind: 'replay',
      response: { statusCode: response.statusCode, body: response.body, location: response.location },
    };
  }

  private mismatch(): IdempotencyException {
    this.metrics.record('mismatch');
    return new IdempotencyException(
      IdempotencyErrorCode.KEY_MISMATCH,
      'This Idempotency-Key was used with a different request; use a new key for a new request',
    );
  }

  private conflict(): IdempotencyException {
    this.metrics.record('conflict');
    return new IdempotencyException(
      IdempotencyErrorCode.DUPLICATE_IN_PROGRESS,
      'A request with this Idempotency-Key is still in progress; retry later',
      undefined,
      { 'Retry-After': '1' },
    );
  }
}
