import type { DataSourceOptions } from 'typeorm';
import { MIGRATIONS } from '../../migrations';

/** Shared by the Nest app and the TypeORM CLI. `synchronize` is never on: migrations own the schema. */
export type EntityClass = new () => object;

export function dataSourceOptions(
  databaseUrl: string,
  queryTimeoutMs: number,
  entities: readonly EntityClass[],
): DataSourceOptions {
  return {
    type: 'postgres',
    url: databaseUrl,
    entities: [...entities],
    migrations: MIGRATIONS,
    migrationsTableName: 'typeorm_migrations',
    migrationsTransactionMode: 'each',
    synchronize: false,
    extra: {
      max: 20,
      // Pipelined, so a unit of work sends BEGIN and COMMIT with its statements; pg then refuses cursors and
      // streams, which nothing here uses.
      pipeline: true,
      // Fail fast when PostgreSQL is unreachable, so that the request gets a 503 instead of hanging.
      connectionTimeoutMillis: 5000,
      // A server that stops answering without closing the connection must not hang requests.
      statement_timeout: queryTimeoutMs,
      query_timeout: queryTimeoutMs + 1000,
      keepAlive: true,
      idleTimeoutMillis: 30000,
      application_name: 'payment-service',
    },
  };
}
