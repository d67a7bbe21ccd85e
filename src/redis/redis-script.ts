import type Redis from 'ioredis';

export type RedisScript<Result> = (...keysThenArguments: Array<string | number>) => Promise<Result>;

/**
 * Registered with ioredis `defineCommand`: each connection gets the script text once (EVAL) and then only its
 * SHA1 (EVALSHA), resending the text to a Redis that forgot it. Redis neither receives nor hashes the text on
 * every call.
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
