import type { BullModuleOptions } from '@nestjs/bull';
import Redis from 'ioredis';
import { AppConfig } from '../config/app-config';
import { createRedisClient } from '../redis/redis-client.factory';

/**
 * The webhook queue's Redis connections. Commands go through the project's fail-fast client, so
 * `add` fails at once while Redis is down (the row stays pending for the sweeper) instead of
 * queueing offline. Bull's blocking and subscriber connections wait by design: Bull requires
 * them without per-request retries or a ready check.
 */
type BullRedis = ReturnType<NonNullable<BullModuleOptions['createClient']>>;

export function webhookQueueOptions(config: AppConfig): BullModuleOptions {
  return {
    createClient: (type) => {
      // Bull's typings name its own bundled ioredis; the project's client speaks the same protocol.
      if (type === 'client')
        return createRedisClient(config.redisUrl, 'payment-service-webhooks') as unknown as BullRedis;
      return new Redis(config.redisUrl, {
        connectionName: `payment-service-webhooks-${type}`,
        maxRetriesPerRequest: null,
        enableReadyCheck: false,
        retryStrategy: (attempt) => Math.min(attempt * 200, 2000),
      }) as unknown as BullRedis;
    },
  };
}
