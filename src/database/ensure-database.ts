import { Client } from 'pg';

/**
 * Creates the database if missing (docs/configuration.md), trying it first for roles barred from `postgres`.
 */
export async function ensureDatabase(databaseUrl: string): Promise<void> {
  const target = new Client({ connectionString: databaseUrl, connectionTimeoutMillis: 5000 });
  try {
    await target.connect();
    return;
  } catch (error) {
    // 3D000 invalid_catalog_name: the database does not exist. Anything else is a real failure.
    if ((error as { code?: string }).code !== '3D000') throw error;
  } finally {
    await target.end().catch(() => undefined);
  }

  const url = new URL(databaseUrl);
  const name = decodeURIComponent(url.pathname.replace(/^\//, ''));
  url.pathname = '/postgres';
  const admin = new Client({ connectionString: url.toString(), connectionTimeoutMillis: 5000 });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE ${quoteIdentifier(name)}`);
  } catch (error) {
    const code = (error as { code?: string }).code;
    // 42P04 duplicate_database, or 23505 unique_violation on pg_database: another process created it.
    if (code !== '42P04' && code !== '23505') throw error;
  } finally {
    await admin.end();
  }
}

function quoteIdentifier(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}
