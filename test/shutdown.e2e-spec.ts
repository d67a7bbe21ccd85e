import Redis from 'ioredis';
import { DisposableRedis } from './support/redis-server';
import { createTestApp } from './support/test-app';
import { eventually } from './support/time';

/** The names of the clients connected to `redis`, other than the connection asking. */
async function connectedClientNames(redis: DisposableRedis): Promise<string[]> {
  const observer = new Redis(redis.url, { connectionName: 'shutdown-observer' });
  try {
    const list = await observer.client('LIST');
    return String(list)
      .trim()
      .split('\n')
      .map((line) => /\bname=(\S*)/.exec(line)?.[1] ?? '')
      .filter((name) => name !== 'shutdown-observer');
  } finally {
    observer.disconnect();
  }
}

describe('Shutdown', () => {
  let redis: DisposableRedis;

  beforeAll(async () => {
    redis = await DisposableRedis.start();
  });
  afterAll(() => redis.stop());

  // A connection left open keeps the process alive after app.close(), and reconnects forever.
  it("closes every Redis connection it opened, the queue board's included", async () => {
    const testApp = await createTestApp({ env: { REDIS_URL: redis.url } });
    await eventually(async () => {
      expect(await connectedClientNames(redis)).toEqual(
        expect.arrayContaining(['payment-service', 'payment-service-webhooks']),
      );
    });
    await testApp.close();
    await eventually(async () => {
      expect(await connectedClientNames(redis)).toEqual([]);
    });
  });
});
