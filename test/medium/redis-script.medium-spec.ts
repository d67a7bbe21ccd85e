import type Redis from 'ioredis';
import { createRedisClient } from '../../src/redis/redis-client.factory';
import { defineScript } from '../../src/redis/redis-script';
import { DisposableRedis } from '../support/redis-server';

// A private redis-server: the test flushes its scripts, which must not touch the shared one.
describe(defineScript.name, () => {
  let server: DisposableRedis;
  let client: Redis;
  let observer: Redis;

  beforeAll(async () => {
    server = await DisposableRedis.start();
    client = createRedisClient(server.url, 'redis-script-test', { autoPipelining: true });
    observer = createRedisClient(server.url, 'redis-script-observer');
    await Promise.all([ready(client), ready(observer)]);
  });
  afterAll(async () => {
    await Promise.all([client.quit(), observer.quit()]);
    await server.stop();
  });

  // The service's clients have no offline queue: a command sent before the connection is up fails.
  const ready = (redis: Redis) =>
    redis.status === 'ready' ? Promise.resolve() : new Promise((resolve) => redis.once('ready', resolve));

  /** How many times Redis ran each command so far (`INFO commandstats`). */
  async function calls(command: 'eval' | 'evalsha'): Promise<number> {
    const stats = await observer.info('commandstats');
    return Number(new RegExp(`cmdstat_${command}:calls=(\\d+)`).exec(stats)?.[1] ?? 0);
  }

  it('sends the text once per connection, then only the SHA, and again after Redis forgot it', async () => {
    const incrementBy = defineScript<number>(
      client,
      'testIncrementBy',
      1,
      "return redis.call('INCRBY', KEYS[1], ARGV[1])",
    );

    const first = await Promise.all([1, 2, 3, 4].map((step) => incrementBy('counter', step)));
    expect(first.sort((a, b) => a - b)[3]).toBe(10);
    const [evalsBefore, shasBefore] = [await calls('eval'), await calls('evalsha')];
    expect(await incrementBy('counter', 5)).toBe(15);
    expect(await incrementBy('counter', 5)).toBe(20);
    expect(await calls('eval')).toBe(evalsBefore);
    expect(await calls('evalsha')).toBe(shasBefore + 2);

    await observer.script('FLUSH');
    expect(await incrementBy('counter', 1)).toBe(21);
    expect(await calls('eval')).toBe(evalsBefore + 1);
  });
});
