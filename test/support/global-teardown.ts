import { dropDatabase } from './databases';

export default async function globalTeardown(): Promise<void> {
  // Both are set by global-setup once it has created the run's database: drop only that one.
  const databaseUrl = process.env.TEST_DATABASE_URL;
  if (!process.env.TEST_DATABASE_NAME || !databaseUrl || process.env.KEEP_TEST_DATABASE === 'true') return;
  await dropDatabase(databaseUrl, process.env.TEST_DATABASE_ADMIN_URL);
}
