import { DataSource } from 'typeorm';
import { dataSourceOptions } from '../src/database/data-source-options';
import { ENTITIES } from '../src/entities';
import { ensureDatabase } from '../src/database/ensure-database';
import { runMigrationsExclusively } from '../src/database/run-migrations';
import { dropDatabase, siblingDatabaseUrl } from './support/databases';

/**
 * The schema is owned by the reviewed files in migrations/: after running them, TypeORM must
 * find nothing to generate (entities and migrations agree), and every migration must revert.
 */
describe('Migrations', () => {
  const databaseUrl = siblingDatabaseUrl('migrations');
  let dataSource: DataSource;

  beforeAll(async () => {
    await ensureDatabase(databaseUrl);
    dataSource = await new DataSource(dataSourceOptions(databaseUrl, 10000, ENTITIES)).initialize();
  });
  afterAll(async () => {
    await dataSource.destroy();
    await dropDatabase(databaseUrl);
  });

  it('creates the database when it does not exist, also when two instances race to', async () => {
    const url = siblingDatabaseUrl('created');
    const name = new URL(url).pathname.slice(1);
    const exists = async () => {
      const rows: Array<{ count: string }> = await dataSource.query(
        'SELECT count(*) FROM pg_database WHERE datname = $1',
        [name],
      );
      return Number(rows[0].count) === 1;
    };
    await dropDatabase(url);
    try {
      expect(await exists()).toBe(false);
      await Promise.all([ensureDatabase(url), ensureDatabase(url)]);
      expect(await exists()).toBe(true);
      // Once it exists, ensuring it again is a no-op.
      await ensureDatabase(url);
      expect(await exists()).toBe(true);
    } finally {
      await dropDatabase(url);
    }
  });

  it('leaves nothing for migration:generate to produce (no drift)', async () => {
    await dataSource.runMigrations();
    const pending = await dataSource.driver.createSchemaBuilder().log();
    expect(pending.upQueries.map((query) => query.query)).toEqual([]);
  });

  it('reverts every migration and re-applies them cleanly', async () => {
    const applied = dataSource.migrations.length;
    for (let i = 0; i < applied; i++) await dataSource.undoLastMigration();
    expect(await dataSource.showMigrations()).toBe(applied > 0);
    await dataSource.runMigrations();
    expect(await dataSource.showMigrations()).toBe(false);
    const pending = await dataSource.driver.createSchemaBuilder().log();
    expect(pending.upQueries).toEqual([]);
  });

  it('applies each migration once when instances boot together', async () => {
    const url = siblingDatabaseUrl('migrations_race');
    const options = dataSourceOptions(url, 10000, ENTITIES);
    try {
      await ensureDatabase(url);
      await Promise.all([runMigrationsExclusively(options), runMigrationsExclusively(options)]);
      const race = await new DataSource(options).initialize();
      try {
        const applied: Array<{ count: string }> = await race.query('SELECT count(*) FROM typeorm_migrations');
        expect(Number(applied[0].count)).toBe(race.migrations.length);
        expect(await race.showMigrations()).toBe(false);
      } finally {
        await race.destroy();
      }
    } finally {
      await dropDatabase(url);
    }
  });
});
