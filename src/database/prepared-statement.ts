import type { Pool, PoolClient, QueryResult, QueryResultRow } from 'pg';
import type { EntityManager } from 'typeorm';
import type { PostgresDriver } from 'typeorm/driver/postgres/PostgresDriver';

/** Prepared once per connection, so PostgreSQL plans it once. Only for hot request-path statements. */
export interface PreparedStatement {
  readonly name: string;
  readonly text: string;
}

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
