import { Logger } from '@nestjs/common';
import type Redis from 'ioredis';
import { RateLimitMetrics } from './rate-limit.metrics';
import { RedisThrottlerStorage } from './redis-throttler.storage';

/** A client whose every script answers `reply`. */
function fakeRedisRunning(reply: () => Promise<unknown>): Redis {
  const client: Record<string, unknown> = {
    defineCommand: (name: string) => {
      client[name] = jest.fn(reply);
    },
  };
  return client as unknown as Redis;
}

describe(RedisThrottlerStorage.name, () => {
  const build = (scriptReply: () => Promise<unknown>) => {
    const metrics = { fallback: jest.fn() };
    const storage = new RedisThrottlerStorage(
      fakeRedisRunning(scriptReply),
      metrics as unknown as RateLimitMetrics,
    );
    return { storage, metrics };
  };

  afterEach(() => {
    jest.useRealTimers();
    jest.restoreAllMocks();
  });

  it('blocks a request over the limit until its window ends, in whole seconds', async () => {
    const { storage } = build(() => Promise.resolve([4, 1200]));
    await expect(storage.increment('k', 60_000, 3, 60_000, 'payments')).resolves.toEqual({
      totalHits: 4,
      timeToExpire: 2,
      isBlocked: true,
      timeToBlockExpire: 2,
    });
  });

  it('never answers a Retry-After below one second', async () => {
    const { storage } = build(() => Promise.resolve([2, 3]));
    const record = await storage.increment('k', 60_000, 1, 60_000, 'refunds');
    expect(record).toMatchObject({ isBlocked: true, timeToBlockExpire: 1 });
  });

  it('lets requests through while Redis fails, counting each and warning once a minute', async () => {
    jest.useFakeTimers({ now: new Date('2026-01-01T00:00:00Z') });
    const warn = jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
    const { storage, metrics } = build(() => Promise.reject(new Error('Connection is closed.')));

    for (let i = 0; i < 5; i += 1) {
      await expect(storage.increment('k', 60_000, 1, 60_000, 'payments')).resolves.toMatchObject({
        isBlocked: false,
      });
    }
    expect(metrics.fallback).toHaveBeenCalledTimes(5);
    expect(metrics.fallback).toHaveBeenCalledWith('payments');
    expect(warn).toHaveBeenCalledTimes(1);

    jest.setSystemTime(new Date('2026-01-01T00:01:00Z'));
    await storage.increment('k', 60_000, 1, 60_000, 'payments');
    expect(warn).toHaveBeenCalledTimes(2);
    expect(warn).toHaveBeenLastCalledWith(
      expect.objectContaining({ uncheckedRequests: 5 }),
      expect.stringContaining('rate limits are not enforced'),
    );
  });
});
