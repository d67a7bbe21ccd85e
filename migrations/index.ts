import type { MigrationInterface } from 'typeorm';
import { CreatePaymentIdempotency1796025642556 } from './1796025642556-CreatePaymentIdempotency';

type MigrationClass = new () => MigrationInterface;

/**
 * Migrations in the order they run. A new file from `npm run migration:generate` is added
 * here; listing them explicitly keeps the same set in the app, the CLI and the tests.
 */
export const MIGRATIONS: MigrationClass[] = [CreatePaymentIdempotency1796025642556];
