import { DataSource, DataSourceOptions } from 'typeorm';

// Any constant shared by every instance of the service: the key of its migration lock.
const MIGRATION_LOCK_KEY = 7_361_947_102;

/**
 * Runs pending migrations while holding a PostgreSQL advisory lock, so instances that boot
 * together apply each migration once instead of racing on the same DDL.
 */
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
