import type { Pool, PoolClient, QueryResult, QueryResultRow } from 'pg';
import type { EntityManager } from 'typeorm';
import type { PostgresDriver } from 'typeorm/driver/postgres/PostgresDriver';

/**
 * A hot statement sent by name: the driver prepares it once per connection, so PostgreSQL
 * parses and plans it once instead of on every request. Only for statements on the request
 * path whose cost shows in a profile; TypeORM runs everything else.
 */
export interface PreparedStatement {
  readonly name: string;
  readonly text: string;
}

/**
 * Runs `statement` on `manager`'s connection: the transaction of a unit of work or of the
 * caller, or, for the data source's own manager, any pooled connection (autocommit).
 */
export async function runPrepared<R extends QueryResultRow>(
  manager: EntityManager,
  statement: PreparedStatement,
  values: unknown[],
): Promise<QueryResult<R>> {
  const config = { name: statement.name, text: statement.text, values };
  if (manager.queryRunner) {
    const client = (await manager.queryRunner.connect()) as PoolClient;
    return client.query<R>(config);
  }
  const pool = (manager.dataSource.driver as PostgresDriver).master as Pool;
  return pool.query<R>(config);
}
