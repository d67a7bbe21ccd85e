import { Injectable, Logger } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { AppConfig } from '../config/app-config';
import { UnitOfWork } from '../database/unit-of-work';
import { StoredResponse } from './entities/payment-idempotency.entity';
import { duplicateInProgress, IdempotencyErrorCode, IdempotencyException } from './idempotency.exception';
import { IdempotencyLease, IdempotencyLeases } from './idempotency-leases';
import { storagePolicyFor } from './idempotency-policy';
import { ExistingRecord, IdempotencyRecordStore } from './idempotency-record.store';
import { IdempotencyScope, scopeId } from './idempotency-scope';
import { IdempotencyCache, LockMarker } from './idempotency.cache';
import { IdempotencyMetrics } from './idempotency.metrics';
import { UnwrittenSettlements } from './unwritten-settlements';

export type BeginOutcome =
  { kind: 'execute'; lease: IdempotencyLease } | { kind: 'replay'; response: StoredResponse };

/** `not-claimed`: the deferred claim claimed nothing; the request is answered as if the key were taken. */
export type SettleResult =
  | { kind: 'settled' }
  | { kind: 'not-claimed'; answer: { kind: 'replay'; response: StoredResponse } | IdempotencyException };

const noCommit = (): Promise<void> => Promise.resolve();
export const SETTLED: SettleResult = { kind: 'settled' };

// A claim can find the record gone between its INSERT and its SELECT (released by a failed first attempt); it
// then claims again.
const MAX_CLAIM_ATTEMPTS = 3;

/**
 * Exactly-once execution of a scoped request (docs/design/idempotency.md). PostgreSQL decides; Redis answers
 * replays and contention early, and its absence costs only speed.
 */
@Injectable()
export class IdempotencyService {
  private readonly logger = new Logger(IdempotencyService.name);

  constructor(
    private readonly config: AppConfig,
    private readonly records: IdempotencyRecordStore,
    private readonly cache: IdempotencyCache,
    private readonly metrics: IdempotencyMetrics,
    private readonly unwritten: UnwrittenSettlements,
    private readonly leases: IdempotencyLeases,
  ) {}

  async begin(scope: IdempotencyScope, requestHash: string): Promise<BeginOutcome> {
    const id = scopeId(scope);
    const token = randomUUID();
    const marker: LockMarker = { statusCode: 102, requestHash, token };
    const lockTtlMs = this.config.idempotency.lockTtlSeconds * 1000;
    const lookup = await this.cache.lookupOrLock(id, marker, lockTtlMs);
    if ('cached' in lookup) return this.replay(lookup.cached.requestHash, requestHash, lookup.cached);
    // A marker held elsewhere is only a hint (a release lost in a Redis blip, a dead process), so the claim
    // runs anyway.
    const markerHeldElsewhere = 'acquired' in lookup && !lookup.acquired;
    // The key is almost surely free: send the claim with the handler's first statement; if it claims nothing,
    // the transaction fails.
    if (UnitOfWork.current() && 'acquired' in lookup && lookup.acquired) {
      return this.beginWithNextStatement(scope, id, requestHash, token);
    }

    try {
      for (let attempt = 1; attempt <= MAX_CLAIM_ATTEMPTS; attempt++) {
        const sentAt = Date.now();
        const claim = await this.records.claim(
          scope,
          requestHash,
          token,
          this.config.idempotency.lockTtlSeconds,
          this.config.idempotency.ttlSeconds,
        );
        if (claim.claimed) {
          this.metrics.record(claim.takeover ? 'takeover' : 'new');
          // The key is ours in PostgreSQL, so the other marker is stale.
          if (markerHeldElsewhere) await this.cache.replaceLock(id, marker, lockTtlMs);
          return { kind: 'execute', lease: this.leases.grant(scope, id, requestHash, token, sentAt) };
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

  ensureHeld(lease: IdempotencyLease): Promise<void> {
    return this.leases.ensureHeld(lease);
  }

  /**
   * Stores the response or releases the key, per the storage policy. A failed write is kept for later
   * (`UnwrittenSettlements`), unless it shared `commit` with the handler's last writes: then the loss is
   * thrown.
   */
  async settle(lease: IdempotencyLease, response: StoredResponse, commit = noCommit): Promise<SettleResult> {
    this.leases.end(lease);
    let claimed: boolean;
    try {
      claimed = await this.leases.confirmClaim(lease);
    } catch (error) {
      // The claim may have committed before its answer was lost. Keeping its release is safe: it deletes
      // nothing unless the claim landed.
      this.unwritten.keep({ kind: 'release', ...settlementOf(lease) });
      await this.cache.release(lease.scopeId, lease.token);
      throw error;
    }
    if (!claimed) return { kind: 'not-claimed', answer: await this.answerUnclaimed(lease) };
    const policy = storagePolicyFor(response.statusCode);
    if (policy === 'none') {
      await this.release(lease, commit);
      return SETTLED;
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
      // A write of its own is kept for later; a shared one took the handler's writes with it, and `commit`
      // throws.
      if (commit === noCommit)
        this.unwritten.keep({ kind: 'complete', ...settlementOf(lease), response, ttlSeconds });
      await commit();
      return SETTLED;
    }
    await commit();
    if (!completed) {
      this.logger.warn({ scopeId: lease.scopeId }, 'Idempotency lock was taken over before completion');
      await this.cache.release(lease.scopeId, lease.token);
      return SETTLED;
    }
    // Not awaited: a retry that arrives first finds the lock marker and replays from PostgreSQL.
    void this.cache.storeResponse(
      lease.scopeId,
      lease.token,
      { ...response, requestHash: lease.requestHash },
      ttlSeconds * 1000,
    );
    return SETTLED;
  }

  deleteExpired(limit?: number): Promise<number> {
    return this.records.deleteExpired(this.config.idempotency.lockTtlSeconds, limit);
  }

  private async beginWithNextStatement(
    scope: IdempotencyScope,
    id: string,
    requestHash: string,
    token: string,
  ): Promise<BeginOutcome> {
    const sentAt = Date.now();
    try {
      const { claimed } = await this.records.claimWithNextStatement(
        scope,
        requestHash,
        token,
        this.config.idempotency.lockTtlSeconds,
        this.config.idempotency.ttlSeconds,
      );
      const confirmed = claimed.then((claim) => {
        if (claim.claimed) this.metrics.record(claim.takeover ? 'takeover' : 'new');
        return claim.claimed;
      });
      confirmed.catch(() => undefined);
      return { kind: 'execute', lease: this.leases.grant(scope, id, requestHash, token, sentAt, confirmed) };
    } catch (error) {
      await this.cache.release(id, token);
      throw error;
    }
  }

  /** Reads the key's record after rolling back the transaction the failed claim aborted. */
  private async answerUnclaimed(
    lease: IdempotencyLease,
  ): Promise<{ kind: 'replay'; response: StoredResponse } | IdempotencyException> {
    await this.cache.release(lease.scopeId, lease.token);
    await UnitOfWork.current()
      ?.rollback()
      .catch(() => undefined);
    try {
      const existing = await this.records.find(lease.scope);
      const outcome = this.fromExisting(existing, lease.requestHash, lease.scopeId);
      // Released by a failed first attempt meanwhile: the client retries.
      if (outcome?.kind !== 'replay') return this.conflict();
      return outcome;
    } catch (error) {
      if (error instanceof IdempotencyException) return error;
      throw error;
    }
  }

  private async release(lease: IdempotencyLease, commit: () => Promise<void>): Promise<void> {
    try {
      await this.records.release(lease.scope, lease.token);
      await commit();
    } catch (error) {
      this.logger.warn(
        { scopeId: lease.scopeId, err: error },
        'Could not release key; kept to release later',
      );
      this.unwritten.keep({ kind: 'release', ...settlementOf(lease) });
    }
    await this.cache.release(lease.scopeId, lease.token);
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
    return duplicateInProgress();
  }
}

function settlementOf(lease: IdempotencyLease) {
  return { scope: lease.scope, scopeId: lease.scopeId, token: lease.token };
}
