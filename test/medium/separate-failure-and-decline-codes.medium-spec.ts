import { randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import { MIGRATIONS } from '../../migrations';
import { SeparateFailureAndDeclineCodes1796030000000 } from '../../migrations/1796030000000-SeparateFailureAndDeclineCodes';
import { dataSourceOptions } from '../../src/database/data-source-options';
import { ENTITIES } from '../../src/entities';
import { ensureDatabase } from '../../src/database/ensure-database';
import { dropDatabase, siblingDatabaseUrl } from '../support/databases';
import { requestHash } from './support/fixture.builders';

interface Codes {
  failure_code: string | null;
  decline_code?: string | null;
}

/**
 * The migration converts rows written under the old single column, and its `down` gives them
 * back: run on a database of its own, migrated up to the one before it.
 */
describe(SeparateFailureAndDeclineCodes1796030000000.name, () => {
  const databaseUrl = siblingDatabaseUrl('failure_codes');
  const index = MIGRATIONS.indexOf(SeparateFailureAndDeclineCodes1796030000000);
  let dataSource: DataSource;

  beforeAll(async () => {
    await ensureDatabase(databaseUrl);
    const before = await new DataSource({
      ...dataSourceOptions(databaseUrl, 10000, ENTITIES),
      migrations: MIGRATIONS.slice(0, index),
    }).initialize();
    try {
      await before.runMigrations();
    } finally {
      await before.destroy();
    }
    dataSource = await new DataSource({
      ...dataSourceOptions(databaseUrl, 10000, ENTITIES),
      migrations: MIGRATIONS.slice(0, index + 1),
    }).initialize();
  });
  afterAll(async () => {
    await dataSource?.destroy();
    await dropDatabase(databaseUrl);
  });

  const insertFailed = async (columns: Codes): Promise<string> => {
    const id = randomUUID();
    const names = Object.keys(columns);
    await dataSource.query(
      `INSERT INTO payment_transactions
         (id, tenant_id, user_id, idempotency_key, request_hash, kind, status, amount, currency, ${names.join(', ')})
       VALUES ($1, $2, 'user-medium', $3, $4, 'payment', 'failed', 1000, 'usd', ${names.map((_, i) => `$${i + 5}`).join(', ')})`,
      [id, randomUUID(), randomUUID(), requestHash(), ...Object.values(columns)],
    );
    return id;
  };
  const codesOf = async (id: string, withDecline: boolean): Promise<Codes> => {
    const rows: Codes[] = await dataSource.query(
      `SELECT failure_code${withDecline ? ', decline_code' : ''} FROM payment_transactions WHERE id = $1`,
      [id],
    );
    return rows[0];
  };

  it('converts old-style codes on the way up and restores them on the way down', async () => {
    const old = {
      insufficientFunds: await insertFailed({ failure_code: 'insufficient_funds' }),
      methodInvalid: await insertFailed({ failure_code: 'payment_method_invalid' }),
      rejected: await insertFailed({ failure_code: 'payment_provider_rejected' }),
      none: await insertFailed({ failure_code: null }),
    };

    await dataSource.runMigrations();

    expect(await codesOf(old.insufficientFunds, true)).toEqual({
      failure_code: 'CARD_DECLINED',
      decline_code: 'insufficient_funds',
    });
    expect(await codesOf(old.methodInvalid, true)).toEqual({
      failure_code: 'PAYMENT_METHOD_INVALID',
      decline_code: null,
    });
    expect(await codesOf(old.rejected, true)).toEqual({
      failure_code: 'PAYMENT_PROVIDER_REJECTED',
      decline_code: null,
    });
    expect(await codesOf(old.none, true)).toEqual({ failure_code: null, decline_code: null });
    await expect(insertFailed({ failure_code: 'insufficient_funds', decline_code: null })).rejects.toThrow(
      /payment_transactions_failure_code_check/,
    );
    // Written under the new columns: a decline Stripe gave no code for.
    const declinedWithoutCode = await insertFailed({ failure_code: 'CARD_DECLINED', decline_code: null });

    await dataSource.undoLastMigration();

    expect(await codesOf(old.insufficientFunds, false)).toEqual({ failure_code: 'insufficient_funds' });
    expect(await codesOf(old.methodInvalid, false)).toEqual({ failure_code: 'payment_method_invalid' });
    expect(await codesOf(old.rejected, false)).toEqual({ failure_code: 'payment_provider_rejected' });
    expect(await codesOf(old.none, false)).toEqual({ failure_code: null });
    expect(await codesOf(declinedWithoutCode, false)).toEqual({ failure_code: 'card_declined' });
    const columns: Array<{ column_name: string }> = await dataSource.query(
      `SELECT column_name FROM information_schema.columns
       WHERE table_name = 'payment_transactions' AND column_name = 'decline_code'`,
    );
    expect(columns).toEqual([]);
  });
});
