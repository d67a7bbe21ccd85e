import { Client } from 'pg';

/**
 * Creates the database named in `databaseUrl` when it does not exist yet (SPEC §1), by
 * connecting to the server's `postgres` maintenance database. Safe to race: a concurrent
 * creator's "already exists" is taken as success.
 */
export async function ensureDatabase(databaseUrl: string): Promise<void> {
  const url = new URL(databaseUrl);
  const name = decodeURIComponent(url.pathname.replace(/^\//, ''));
  if (!name) return;
  url.pathname = '/postgres';
  const client = new Client({ connectionString: url.toString(), connectionTimeoutMillis: 5000 });
  await client.connect();
  try {
    const { rowCount } = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
    if (rowCount) return;
    await client.query(`CREATE DATABASE ${quoteIdentifier(name)}`);
  } catch (error) {
    const code = (error as { code?: string }).code;
    // 42P04 duplicate_database, 23505 unique_violation on pg_database: another process won.
    if (code !== '42P04' && code !== '23505') throw error;
  } finally {
    await client.end();
  }
}

function quoteIdentifier(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}
