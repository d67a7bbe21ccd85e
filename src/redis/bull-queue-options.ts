import type { BullModuleOptions } from '@nestjs/bull';
import Redis from 'ioredis';
import { AppConfig } from '../config/app-config';
import { createRedisClient } from './redis-client.factory';

type BullRedis = ReturnType<NonNullable<BullModuleOptions['createClient']>>;

/**
 * At Bull's 30 s default, an early timer skips a whole interval and a dead worker's job waits up to 150 s.
 */
export const STALLED_CHECK_INTERVAL_MS = 5000;

/** Bull leaves connections it did not create open, so the module closes them at shutdown. */
const CONNECTIONS = new WeakMap<AppConfig, Redis[]>();

function connectionsOf(config: AppConfig): Redis[] {
  const connections = CONNECTIONS.get(config) ?? [];
  CONNECTIONS.set(config, connections);
  return connections;
}

/** The fail-fast client makes `add` fail at once while Redis is down; the sweeper catches up later. */
export function bullQueueOptions(config: AppConfig): BullModuleOptions {
  const connections = connectionsOf(config);
  const track = (client: Redis): BullRedis => {
    connections.push(client);
    return client as unknown as BullRedis;
  };
  return {
    prefix: queuePrefix(config.databaseUrl),
    settings: { stalledInterval: STALLED_CHECK_INTERVAL_MS },
    createClient: (type) => {
      // Bull's typings name its bundled ioredis; the project's client speaks the same protocol.
      if (type === 'client') return track(createRedisClient(config.redisUrl, 'payment-service-webhooks'));
      return track(
        new Redis(config.redisUrl, {
          connectionName: `payment-service-webhooks-${type}`,
          maxRetriesPerRequest: null,
          enableReadyCheck: false,
          retryStrategy: (attempt) => Math.min(attempt * 200, 2000),
        }),
      );
    },
  };
}

export function closeBullQueueConnections(config: AppConfig): void {
  for (const client of CONNECTIONS.get(config)?.splice(0) ?? []) client.disconnect();
}

/**
 * Per database: a job only names a row, so services sharing a Redis but not a database must never take each
 * other's jobs.
 */
export function queuePrefix(databaseUrl: string): string {
  const database = decodeURIComponent(new URL(databaseUrl).pathname.slice(1)) || 'postgres';
  return `bull:${database}`;
}
