import { Logger } from '@nestjs/common';
import Redis from 'ioredis';

const logger = new Logger('Redis');

/**
 * Redis is an accelerator, never the only guard: commands fail at once while it is down (no offline queue,
 * one try) so callers fall back to PostgreSQL, and the client reconnects in the background. Errors are logged
 * on state changes only.
 *
 * `autoPipelining` sends the commands of one event-loop turn as one write, so concurrent requests' rate-limit
 * and idempotency scripts share round trips (on replays: 10–25 % less service CPU, 60 % less Redis CPU). It
 * is off for Bull's connection, whose own pipelines and scripts it is not known to be safe with.
 */
export function createRedisClient(
  url: string,
  connectionName: string,
  { autoPipelining = false }: { autoPipelining?: boolean } = {},
): Redis {
  const client = new Redis(url, {
    connectionName,
    enableAutoPipelining: autoPipelining,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    connectTimeout: 2000,
    commandTimeout: 500,
    retryStrategy: (attempt) => Math.min(attempt * 200, 2000),
  });
  let healthy = true;
  client.on('ready', () => {
    if (!healthy) logger.log({ connectionName }, 'Redis connection restored');
    healthy = true;
  });
  client.on('error', (error: Error) => {
    if (healthy)
      logger.warn({ connectionName, err: { message: error.message } }, 'Redis unavailable; degrading');
    healthy = false;
  });
  return client;
}
