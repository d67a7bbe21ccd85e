import type Redis from 'ioredis';

export type RedisScript<Result> = (...keysThenArguments: Array<string | number>) => Promise<Result>;

/** Sent as EVALSHA after the first call on each connection, saving Redis the text on every call. */
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
