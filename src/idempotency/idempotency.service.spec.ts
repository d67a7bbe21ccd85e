import { AppConfig, loadAppConfig } from '../config/app-config';
import { StoredResponse } from './entities/payment-idempotency.entity';
import { IdempotencyException } from './idempotency.exception';
import { IdempotencyLeases } from './idempotency-leases';
import { ClaimResult, ExistingRecord, IdempotencyRecordStore } from './idempotency-record.store';
import { IdempotencyScope } from './idempotency-scope';
import { CachedResponse, IdempotencyCache, LockMarker, LookupResult } from './idempotency.cache';
import { IdempotencyMetrics, IdempotencyOutcome } from './idempotency.metrics';
import { IdempotencyService } from './idempotency.service';
import { UnwrittenSettlements } from './unwritten-settlements';

/** PostgreSQL's part, in memory: enough to exercise the service's decisions. */
class FakeRecords {
  existing: ExistingRecord | null = null;
  claimResults: ClaimResult[] = [];
  completed: Array<{ response: StoredResponse; ttlSeconds: number }> = [];
  completeSucceeds = true;
  released = 0;
  /** Writes that fail as an unreachable PostgreSQL fails them, before any succeeds. */
  unreachableFor = 0;

  claim(): Promise<ClaimResult> {
    return Promise.resolve(this.claimResults.shift() ?? { claimed: true, takeover: false });
  }
  find(): Promise<ExistingRecord | null> {
    return Promise.resolve(this.existing);
  }
  renewSucceeds = true;
  renewals = 0;
  renew(): Promise<boolean> {
    this.renewals++;
    return Promise.resolve(this.renewSucceeds);
  }
  complete(_scope: IdempotencyScope, _token: string, response: StoredResponse, ttlSeconds: number) {
    if (this.unreachable()) return Promise.reject(connectionRefused());
    if (this.completeSucceeds) this.completed.push({ response, ttlSeconds });
    return Promise.resolve(this.completeSucceeds);
  }
  release(): Promise<void> {
    if (this.unreachable()) return Promise.reject(connectionRefused());
    this.released++;
    return Promise.resolve();
  }
  private unreachable(): boolean {
    if (this.unreachableFor === 0) return false;
    this.unreachableFor--;
    return true;
  }
}

const connectionRefused = () => Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' });

class FakeCache {
  cached: CachedResponse | undefined;
  marker: LookupResult = { acquired: true };
  stored: CachedResponse[] = [];
  releases = 0;

  lookupOrLock(_id: string, _marker: LockMarker): Promise<LookupResult> {
    return Promise.resolve(this.cached ? { cached: this.cached } : this.marker);
  }
  replaced: LockMarker[] = [];
  renew() {
    return Promise.resolve();
  }
  replaceLock(_id: string, marker: LockMarker) {
    this.replaced.push(marker);
    return Promise.resolve();
  }
  release() {
    this.releases++;
    return Promise.resolve();
  }
  storeResponse(_id: string, _token: string | undefined, response: CachedResponse) {
    this.stored.push(response);
    return Promise.resolve();
  }
}

class FakeMetrics {
  outcomes: IdempotencyOutcome[] = [];
  record(outcome: IdempotencyOutcome) {
    this.outcomes.push(outcome);
  }
  redisFallback() {}
}

const scope: IdempotencyScope = { tenantId: '6f1c2b8e-3d4a-4f5b-9c6d-7e8f9a0b1c2d', userId: 'u', key: 'k' };
const response = (overrides: Partial<StoredResponse> = {}): StoredResponse => ({
  statusCode: 201,
  body: '{"id":"p1"}',
  location: '/payments/p1',
  ...overrides,
});
const record = (overrides: Partial<ExistingRecord> = {}): ExistingRecord => ({
  requestHash: 'h1',
  status: 'completed',
  response: response(),
  ttlMs: 60_000,
  ...overrides,
});

describe(IdempotencyService.name, () => {
  let records: FakeRecords;
  let cache: FakeCache;
  let metrics: FakeMetrics;
  let service: IdempotencyService;
  let leases: IdempotencyLeases;
  let unwritten: UnwrittenSettlements;
  const config: AppConfig = loadAppConfig({ NODE_ENV: 'test', JWT_SECRET: 'unit-test-secret-0123456789' });

  beforeEach(() => {
    records = new FakeRecords();
    cache = new FakeCache();
    metrics = new FakeMetrics();
    unwritten = new UnwrittenSettlements(config, records as unknown as IdempotencyRecordStore);
    leases = new IdempotencyLeases(
      config,
      records as unknown as IdempotencyRecordStore,
      cache as unknown as IdempotencyCache,
      metrics as unknown as IdempotencyMetrics,
    );
    service = new IdempotencyService(
      config,
      records as unknown as IdempotencyRecordStore,
      cache as unknown as IdempotencyCache,
      metrics as unknown as IdempotencyMetrics,
      unwritten,
      leases,
    );
  });
  afterEach(() => unwritten.onApplicationShutdown());

  const executeLease = async () => {
    const outcome = await service.begin(scope, 'h1');
    if (outcome.kind !== 'execute') throw new Error(`expected execute, got ${outcome.kind}`);
    return outcome.lease;
  };

  it('replays a cached response without touching PostgreSQL', async () => {
    cache.cached = { ...response(), requestHash: 'h1' };
    const outcome = await service.begin(scope, 'h1');
    expect(outcome).toEqual({ kind: 'replay', response: response() });
    expect(metrics.outcomes).toEqual(['replayed']);
  });

  it('rejects a cached response of another request as a mismatch', async () => {
    cache.cached = { ...response(), requestHash: 'other' };
    await expect(service.begin(scope, 'h1')).rejects.toMatchObject({
      code: 'IDEMPOTENCY_KEY_MISMATCH',
      status: 422,
    });
  });

  it('asks PostgreSQL when another execution holds the Redis lock, and replays if it has finished', async () => {
    cache.marker = { acquired: false, holder: { statusCode: 102, requestHash: 'h1', token: 't' } };
    records.claimResults = [{ claimed: false, existing: record() }];
    const outcome = await service.begin(scope, 'h1');
    expect(outcome.kind).toBe('replay');
    expect(cache.stored).toHaveLength(1);
  });

  it('answers 409 with Retry-After while the holder still runs', async () => {
    cache.marker = { acquired: false, holder: { statusCode: 102, requestHash: 'h1', token: 't' } };
    records.claimResults = [{ claimed: false, existing: record({ status: 'in_progress', response: null }) }];
    const rejection = service.begin(scope, 'h1');
    await expect(rejection).rejects.toBeInstanceOf(IdempotencyException);
    await expect(rejection).rejects.toMatchObject({ status: 409, headers: { 'Retry-After': '1' } });
  });

  it('executes when a Redis marker of another request has no PostgreSQL record, replacing the stale marker', async () => {
    cache.marker = { acquired: false, holder: { statusCode: 102, requestHash: 'other', token: 't' } };
    const lease = await executeLease();
    clearInterval(lease.heartbeat);
    expect(cache.replaced).toEqual([{ statusCode: 102, requestHash: 'h1', token: lease.token }]);
  });

  it('rejects a mismatch when PostgreSQL holds the other request', async () => {
    cache.marker = { acquired: false, holder: { statusCode: 102, requestHash: 'other', token: 't' } };
    records.claimResults = [{ claimed: false, existing: record({ requestHash: 'other' }) }];
    await expect(service.begin(scope, 'h1')).rejects.toMatchObject({ code: 'IDEMPOTENCY_KEY_MISMATCH' });
  });

  describe('ensureHeld', () => {
    it('costs nothing while the lock was confirmed less than half a lock TTL ago', async () => {
      const lease = await executeLease();
      clearInterval(lease.heartbeat);
      await service.ensureHeld(lease);
      expect(records.renewals).toBe(0);
    });

    it('renews an older lock, and stops the execution with 409 once another one holds the key', async () => {
      const lease = await executeLease();
      clearInterval(lease.heartbeat);
      lease.confirmedAt -= config.idempotency.lockTtlSeconds * 1000;
      await service.ensureHeld(lease);
      expect(records.renewals).toBe(1);

      lease.confirmedAt -= config.idempotency.lockTtlSeconds * 1000;
      records.renewSucceeds = false;
      await expect(service.ensureHeld(lease)).rejects.toMatchObject({
        status: 409,
        code: 'DUPLICATE_IN_PROGRESS',
      });
      expect(lease.lost).toBe(true);
      // Once lost, never renewed again: the new holder's lock is not touched.
      await expect(service.ensureHeld(lease)).rejects.toMatchObject({ status: 409 });
      expect(records.renewals).toBe(2);
    });
  });

  it('goes on with PostgreSQL alone when Redis is unavailable', async () => {
    cache.marker = { unavailable: true };
    const lease = await executeLease();
    clearInterval(lease.heartbeat);
    expect(metrics.outcomes).toEqual(['new']);
  });

  it('claims again when the record vanished between its INSERT and SELECT', async () => {
    records.claimResults = [
      { claimed: false, existing: null },
      { claimed: true, takeover: true },
    ];
    const lease = await executeLease();
    clearInterval(lease.heartbeat);
    expect(metrics.outcomes).toEqual(['takeover']);
  });

  it('releases its Redis marker when PostgreSQL says the key is taken', async () => {
    records.claimResults = [{ claimed: false, existing: record({ status: 'in_progress', response: null }) }];
    await expect(service.begin(scope, 'h1')).rejects.toMatchObject({ status: 409 });
    expect(cache.releases).toBe(1);
  });

  it('stores a 201 for the long TTL and a 402 for the short one', async () => {
    await service.settle(await executeLease(), response());
    await service.settle(await executeLease(), response({ statusCode: 402 }));
    expect(records.completed.map((entry) => entry.ttlSeconds)).toEqual([86400, 600]);
    expect(cache.stored.map((entry) => entry.statusCode)).toEqual([201, 402]);
  });

  it('releases the key instead of storing a 5xx or a 409', async () => {
    await service.settle(await executeLease(), response({ statusCode: 502 }));
    await service.settle(await executeLease(), response({ statusCode: 409 }));
    expect(records.completed).toHaveLength(0);
    expect(records.released).toBe(2);
  });

  it('keeps a release PostgreSQL could not take, and writes it once it answers', async () => {
    const lease = await executeLease();
    records.unreachableFor = 2;
    await service.settle(lease, response({ statusCode: 503 }));
    expect(records.released).toBe(0);
    expect(unwritten.size).toBe(1);

    await unwritten.flush(); // still unreachable: kept
    expect(unwritten.size).toBe(1);
    await unwritten.flush();
    expect(records.released).toBe(1);
    expect(unwritten.size).toBe(0);
  });

  it('keeps a completion written on its own, and stores the answer once PostgreSQL answers', async () => {
    const lease = await executeLease();
    records.unreachableFor = 1;
    expect(await service.settle(lease, response())).toEqual({ kind: 'settled' });
    expect(records.completed).toEqual([]);
    await unwritten.flush();
    expect(records.completed).toEqual([{ response: response(), ttlSeconds: config.idempotency.ttlSeconds }]);
  });

  it('keeps its result out of the cache when another execution took its key over', async () => {
    const lease = await executeLease();
    records.completeSucceeds = false;
    await service.settle(lease, response());
    expect(cache.stored).toHaveLength(0);
    expect(cache.releases).toBe(1);
  });
});
