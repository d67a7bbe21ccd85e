import type Redis from 'ioredis';

/** A Lua script bound to a client: called with its keys, then its arguments. */
export type RedisScript<Result> = (...keysThenArguments: Array<string | number>) => Promise<Result>;

/**
 * Registers `lua` on `redis` as a command (ioredis `defineCommand`): each connection is sent
 * the script's text once (EVAL), then only its SHA1 (EVALSHA), and a Redis that forgot it
 * (restarted, flushed) is sent the text again. Cheaper than an EVAL per call for both sides:
 * Redis neither receives nor hashes the text on every request.
 */
export function defineScript<Result>(
  redis: Redis,
  name: string,
  numberOfKeys: number,
  lua: string,
): RedisScript<Result> {
  redis.defineCommand(name, { numberOfKeys, lua });
  const command = (redis as unknown as Record<string, RedisScript<Result>>)[name];
  return (...keysThenArguments) => command.apply(redis, keysThenArguments);
}
