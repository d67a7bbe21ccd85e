import { Client } from 'pg';

/** A sibling of the run's test database, for suites that need a schema of their own. */
export function siblingDatabaseUrl(suffix: string): string {
  const url = new URL(process.env.TEST_DATABASE_URL ?? '');
  url.pathname = `${url.pathname}_${suffix}`;
  return url.toString();
}

/**
 * Drops the database at `databaseUrl`; `WITH (FORCE)` ends whatever sessions a crashed process
 * left open. Connects to `adminUrl`, by default the same server's `postgres` database. The test
 * run's teardown, the suites with a database of their own and `npm run bench` all clean up here.
 */
export async function dropDatabase(databaseUrl: string, adminUrl?: string): Promise<void> {
  const url = new URL(databaseUrl);
  const name = decodeURIComponent(url.pathname.slice(1));
  url.pathname = '/postgres';
  const client = new Client({ connectionString: adminUrl ?? url.toString(), connectionTimeoutMillis: 5000 });
  await client.connect();
  try {
    await client.query(`DROP DATABASE IF EXISTS "${name.replaceAll('"', '""')}" WITH (FORCE)`);
  } finally {
    await client.end();
  }
}
