import { Injectable, Logger } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { AppConfig } from '../config/app-config';
import { UnitOfWork } from '../database/unit-of-work';
import { StoredResponse } from './entities/payment-idempotency.entity';
import { IdempotencyErrorCode, IdempotencyException } from './idempotency-error-code';
import { storagePolicyFor } from './idempotency-policy';
import { ExistingRecord, IdempotencyRecordStore } from './idempotency-record.store';
import { IdempotencyScope, scopeId } from './idempotency-scope';
import { IdempotencyCache, LockMarker } from './idempotency.cache';
import { IdempotencyMetrics } from './idempotency.metrics';
import { UnwrittenSettlements } from './unwritten-settlements';

/** The right to execute a scoped request, held while its handler runs. */
export interface IdempotencyLease {
  readonly scope: IdempotencyScope;
  readonly scopeId: string;
  readonly requestHash: string;
  readonly token: string;
  readonly heartbeat: NodeJS.Timeout;
  /** Local time at which a claim or renewal that succeeded was sent: the lock was ours from then on for a lock TTL. */
  confirmedAt: number;
  /** Set once a renewal found another execution holding the key: this one must stop. */
  lost: boolean;
  /**
   * Whether the claim claimed the key. Already true unless the claim went with the handler's
   * first statement (see `begin`); false then means that nothing of the handler's committed.
   */
  readonly claimed: Promise<boolean>;
}

export type BeginOutcome =
  { kind: 'execute'; lease: IdempotencyLease } | { kind: 'replay'; response: StoredResponse };

/**
 * How an execution ended for the key: settled, or found not to have held it at all (its claim,
 * sent with its first statement, claimed nothing), in which case the request is answered as if
 * it had found the key taken: a replay, or the exception to answer with.
 */
export type SettleResult =
  | { kind: 'settled' }
  | { kind: 'not-claimed'; answer: { kind: 'replay'; response: StoredResponse } | IdempotencyException };

const noCommit = (): Promise<void> => Promise.resolve();
const CLAIMED = Promise.resolve(true);
export const SETTLED: SettleResult = { kind: 'settled' };

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
    private readonly unwritten: UnwrittenSettlements,
  ) {}

  private get lockTtlMs(): number {
    return this.config.idempotency.lockTtlSeconds * 1000;
  }

  async begin(scope: IdempotencyScope, requestHash: string): Promise<BeginOutcome> {
    const id = scopeId(scope);
    const token = randomUUID();
    const marker: LockMarker = { statusCode: 102, requestHash, token };
    const lookup = await this.cache.lookupOrLock(id, marker, this.lockTtlMs);
    if ('cached' in lookup) return this.replay(lookup.cached.requestHash, requestHash, lookup.cached);
    // A marker held by another execution is only a hint: it may be left over from a release that
    // failed during a Redis blip, or from a process that died before claiming. PostgreSQL
    // decides, so the claim below runs whoever holds the marker.
    const markerHeldElsewhere = 'acquired' in lookup && !lookup.acquired;
    const unit = UnitOfWork.current();
    // Nobody else holds the marker, so the key is almost surely free: the claim need not be
    // answered before the handler runs. It goes with the handler's first statement instead, in
    // one write, and fails the transaction if it claims nothing (see `settle` for that case).
    if (unit && 'acquired' in lookup && lookup.acquired) {
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
          // The key is ours in PostgreSQL, so a marker someone else left is stale: replace it.
          if (markerHeldElsewhere) await this.cache.replaceLock(id, marker, this.lockTtlMs);
          return { kind: 'execute', lease: this.lease(scope, id, requestHash, token, sentAt) };
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
      return { kind: 'execute', lease: this.lease(scope, id, requestHash, token, sentAt, confirmed) };
    } catch (error) {
      await this.cache.release(id, token);
      throw error;
    }
  }

  /**
   * Called by a handler before each step that acts on the world (the Stripe call, settling its
   * rows): stops the execution with 409 if another one has taken the key over, so two executions
   * never act at once. A lock confirmed less than half a lock TTL ago cannot have been taken over
   * (a takeover needs a lock not renewed for a whole TTL by the database clock) and costs nothing;
   * an older one is renewed, which is also the check.
   */
  async ensureHeld(lease: IdempotencyLease): Promise<void> {
    // Not claimed: nothing of this execution committed. The handler stops here, and `settle`
    // answers from the key's record instead of this error, which no client sees.
    if (!(await this.confirmClaim(lease))) throw new Error('The claim claimed nothing');
    if (!lease.lost && Date.now() - lease.confirmedAt < this.lockTtlMs / 2) return;
    if (!lease.lost) await this.renew(lease);
    if (lease.lost) {
      throw this.conflict(
        'This request was taken over by a retry with the same Idempotency-Key; retry later',
      );
    }
  }

  /**
   * Records how the execution ended: stored for replay when the policy says so, otherwise
   * forgotten so the key is free again. A failure to write is logged, never thrown: the
   * client still gets its answer, and the write is kept and made once the database answers
   * again (`UnwrittenSettlements`), so a retry after an outage does not wait for the lock TTL.
   *
   * `commit` makes the record durable when it was written in a transaction shared with the
   * handler's last writes (see `UnitOfWork`): it runs before Redis learns the response, and its
   * failure is thrown, because the handler's writes were lost with it and the answer must not
   * claim otherwise.
   */
  async settle(lease: IdempotencyLease, response: StoredResponse, commit = noCommit): Promise<SettleResult> {
    clearInterval(lease.heartbeat);
    let claimed: boolean;
    try {
      claimed = await this.confirmClaim(lease);
    } catch (error) {
      // The claim itself failed (PostgreSQL unreachable, say). It went with the handler's first
      // statement and may have committed before the answer was lost: its release is kept, which
      // deletes nothing unless the claim did land.
      this.keepRelease(lease);
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
      // Written on its own, the completion failed alone: the handler's writes stand, and so does
      // the answer, which is stored once the database answers. Shared with the handler's last
      // writes, it took them with it: `commit` throws, and the request fails and releases the key.
      if (commit === noCommit) {
        this.unwritten.keep({ kind: 'complete', ...this.settlementOf(lease), response, ttlSeconds });
      }
      await commit();
      return SETTLED;
    }
    await commit();
    if (!completed) {
      // Another execution took the key over: its result is the one to keep, not ours.
      this.logger.warn({ scopeId: lease.scopeId }, 'Idempotency lock was taken over before completion');
      await this.cache.release(lease.scopeId, lease.token);
      return SETTLED;
    }
    // Not awaited: PostgreSQL has the result, and a retry that comes before the cache is
    // written finds the lock marker, asks PostgreSQL and replays from there.
    void this.cache.storeResponse(
      lease.scopeId,
      lease.token,
      { ...response, requestHash: lease.requestHash },
      ttlSeconds * 1000,
    );
    return SETTLED;
  }

  /** Sends the claim if it is still held back for the handler's first statement, and answers it. */
  private async confirmClaim(lease: IdempotencyLease): Promise<boolean> {
    await UnitOfWork.current()?.flush();
    return lease.claimed;
  }

  /**
   * The answer for a request whose claim claimed nothing: the key's record decides, as it does
   * for a claim answered before the handler runs. Its transaction was aborted with the claim;
   * it is rolled back first, so the record is read outside it.
   */
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
      // Gone again since (released by a failed first attempt): the client retries.
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
      this.keepRelease(lease);
    }
    await this.cache.release(lease.scopeId, lease.token);
  }

  private keepRelease(lease: IdempotencyLease): void {
    this.unwritten.keep({ kind: 'release', ...this.settlementOf(lease) });
  }

  private settlementOf(lease: IdempotencyLease) {
    return { scope: lease.scope, scopeId: lease.scopeId, token: lease.token };
  }

  /** Deletes up to `limit` expired records (for the cleanup job); never one a live request holds. */
  deleteExpired(limit?: number): Promise<number> {
    return this.records.deleteExpired(this.config.idempotency.lockTtlSeconds, limit);
  }

  /** Starts renewing the lock so a slow but live execution is never taken over. */
  private lease(
    scope: IdempotencyScope,
    id: string,
    requestHash: string,
    token: string,
    confirmedAt: number,
    claimed: Promise<boolean> = CLAIMED,
  ): IdempotencyLease {
    const lease: IdempotencyLease = {
      scope,
      scopeId: id,
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

  /**
   * Renews the lock in PostgreSQL, then the Redis marker. A renewal that finds the lock gone
   * (taken over after this process stalled past the lock TTL) marks the lease lost and stops the
   * heartbeat: the new holder's record and marker are never touched again.
   */
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
      // PostgreSQL unreachable: the lock cannot be confirmed, and cannot be taken either.
      this.logger.warn({ scopeId: lease.scopeId, err: error }, 'Lock renewal failed');
    }
    await this.cache.renew(lease.scopeId, lease.token, this.lockTtlMs);
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

  private conflict(
    message = 'A request with this Idempotency-Key is still in progress; retry later',
  ): IdempotencyException {
    this.metrics.record('conflict');
    return new IdempotencyException(IdempotencyErrorCode.DUPLICATE_IN_PROGRESS, message, undefined, {
      'Retry-After': '1',
    });
  }
}
