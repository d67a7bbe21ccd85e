import type { BullModuleOptions } from '@nestjs/bull';
import Redis from 'ioredis';
import { AppConfig } from '../config/app-config';
import { createRedisClient } from './redis-client.factory';

type BullRedis = ReturnType<NonNullable<BullModuleOptions['createClient']>>;

/**
 * How often Bull looks for jobs whose worker died (their lock lapsed, `lockDuration` 30 s after
 * the last renewal). Bull's default is 30 s, but each check also sets a marker that lives exactly
 * one interval and skips the check while it is there: a timer that fires a moment early (under
 * load, about every other one) skips a whole interval, so a killed worker's job waited 60–150 s.
 * Checking every 5 s keeps that to the lock's 30 s and a few seconds; a check is one short script.
 */
export const STALLED_CHECK_INTERVAL_MS = 5000;

/** Bull leaves connections it did not create open: the module closes them at shutdown. */
const CONNECTIONS = new WeakMap<AppConfig, Redis[]>();

/**
 * One list per application: every registration of a queue with the same config (the Stripe
 * webhook queue, the tenant webhook queue, the queue board's) has its connections closed together
 * at shutdown, by the webhooks module.
 */
function connectionsOf(config: AppConfig): Redis[] {
  const connections = CONNECTIONS.get(config) ?? [];
  CONNECTIONS.set(config, connections);
  return connections;
}

/**
 * A Bull queue's Redis connections and prefix. Commands go through the project's fail-fast client, so
 * `add` fails at once while Redis is down (the row stays pending for the sweeper) instead of
 * queueing offline. Bull's blocking and subscriber connections wait by design: Bull requires
 * them without per-request retries or a ready check.
 */
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
      // Bull's typings name its own bundled ioredis; the project's client speaks the same protocol.
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
 * A job only names an inbox row, so a queue belongs to one database: services (or test runs)
 * sharing a Redis but not a database must never take each other's jobs.
 */
export function queuePrefix(databaseUrl: string): string {
  const database = decodeURIComponent(new URL(databaseUrl).pathname.slice(1)) || 'postgres';
  return `bull:${database}`;
}
