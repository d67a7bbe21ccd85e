import { DataSource, DataSourceOptions } from 'typeorm';

// The migration lock's key: any constant shared by every instance.
const MIGRATION_LOCK_KEY = 7_361_947_102;

/** Under an advisory lock, so instances that boot together do not race on the same DDL. */
export async function runMigrationsExclusively(options: DataSourceOptions): Promise<void> {
  const dataSource = await new DataSource({ ...options, migrationsRun: false }).initialize();
  const lock = dataSource.createQueryRunner();
  try {
    await lock.connect();
    await lock.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK_KEY]);
    try {
      await dataSource.runMigrations();
    } finally {
      await lock.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK_KEY]);
    }
  } finally {
    await lock.release();
    await dataSource.destroy();
  }
}
