import { Client } from 'pg';

/** A sibling of the run's test database, for suites that need a schema of their own. */
export function siblingDatabaseUrl(suffix: string): string {
  const url = new URL(process.env.TEST_DATABASE_URL ?? '');
  url.pathname = `${url.pathname}_${suffix}`;
  return url.toString();
}

export async function dropDatabase(databaseUrl: string): Promise<void> {
  const url = new URL(databaseUrl);
  const name = url.pathname.slice(1);
  url.pathname = '/postgres';
  const client = new Client({ connectionString: url.toString() });
  await client.connect();
  try {
    await client.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
  } finally {
    await client.end();
  }
}
