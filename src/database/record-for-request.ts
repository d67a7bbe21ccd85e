import { randomUUID } from 'node:crypto';
import { EntityManager, FindOptionsWhere, ObjectLiteral, Repository } from 'typeorm';
import type { QueryDeepPartialEntity } from 'typeorm/query-builder/QueryPartialEntity';
import { ensureSameRequest, IdempotentExecution } from '../idempotency';
import { RequestRecord, StripeObjectRecord } from './record-columns';
import { runInUnitOfWork } from './unit-of-work';

/** The row of a request, and whether this execution wrote it. */
export interface RecordedRow<T> {
  row: T;
  /**
   * Written just now, with its first Stripe attempt stamped in the same statement: Stripe
   * cannot have seen it, so the attempt is 0 s old (see `stripeAttemptAge`).
   */
  created: boolean;
}

/** The columns that tie a row to its request, filled in by `recordForRequest`. */
export interface RequestIdentity {
  id: string;
  tenantId: string;
  userId: string;
  idempotencyKey: string;
  requestHash: string;
}

/**
 * Inserts the row with its first Stripe attempt stamped, unless the scoped key already has one
 * (`ON CONFLICT DO NOTHING`); answers the inserted row as PostgreSQL returned it, or nothing.
 * `insertFields` builds one with TypeORM; an owner whose insert shows in a profile writes its
 * own, prepared statement (`PaymentLedger`).
 */
export type InsertRow = (
  manager: EntityManager,
  identity: RequestIdentity,
) => Promise<ObjectLiteral | undefined>;

/**
 * Recovery point 1 of every request that creates a Stripe object: the row exists, keyed by the
 * scoped key, before Stripe is called. A re-execution (after a 5xx or a crash) finds the row its
 * first attempt wrote; the same key back with another request is refused (422) rather than
 * answered with the old row. The caller passes its own repository: only the owner writes its table.
 *
 * In a request that shares its unit of work, the row is committed together with the key's
 * claim; the commit happens here, so the row is durable before Stripe is ever called.
 */
export async function recordForRequest<T extends RequestRecord>(
  repository: Repository<T>,
  execution: IdempotentExecution,
  insert: InsertRow,
  noun: string,
): Promise<RecordedRow<T>> {
  // The insert is the claim's transaction's last statement: it commits with it.
  const raw = await runInUnitOfWork('commit', repository.manager, (manager) =>
    insert(manager, {
      id: randomUUID(),
      tenantId: execution.tenantId,
      userId: execution.userId,
      idempotencyKey: execution.key,
      requestHash: execution.requestHash,
    }),
  );
  const recorded: RecordedRow<T> = raw
    ? { row: hydrate(repository, raw), created: true }
    : { row: await findRecorded(repository, execution), created: false };
  ensureSameRequest(execution, recorded.row.requestHash, noun);
  return recorded;
}

/**
 * The row an earlier execution of the request wrote. Read after the claim's commit: `ON
 * CONFLICT DO NOTHING` waited for that row's transaction, so the row is committed.
 */
async function findRecorded<T extends RequestRecord>(
  repository: Repository<T>,
  execution: IdempotentExecution,
): Promise<T> {
  return repository.findOneByOrFail({
    tenantId: execution.tenantId,
    userId: execution.userId,
    idempotencyKey: execution.key,
  } as FindOptionsWhere<T>);
}

/** Inserts `fields` into the owner's table through TypeORM's query builder. */
export function insertFields<T extends RequestRecord>(
  owner: Repository<T>,
  fields: QueryDeepPartialEntity<T>,
): InsertRow {
  return async (manager, identity) => {
    const inserted = await manager
      .getRepository<T>(owner.target)
      .createQueryBuilder()
      .insert()
      .values({ ...identity, stripeFirstAttemptAt: () => 'now()', ...fields })
      .orIgnore()
      .returning('*')
      .execute();
    return (inserted.raw as ObjectLiteral[])[0];
  };
}

/**
 * How long ago Stripe was first asked for the row's object, in seconds by the database clock
 * (`StripeAttempts` compares it with Stripe's idempotency window). A row this execution just
 * created was stamped by its insert; an older one is stamped now if it never was.
 */
export function stripeAttemptAge(
  repository: Repository<StripeObjectRecord>,
  recorded: RecordedRow<StripeObjectRecord>,
): Promise<number> {
  return recorded.created ? Promise.resolve(0) : stampStripeAttempt(repository, recorded.row.id);
}

/**
 * Stamps the row's first Stripe attempt (once) and answers its age in seconds, by the database
 * clock. Called by the row's owner with its own repository.
 */
export async function stampStripeAttempt(
  repository: Repository<StripeObjectRecord>,
  id: string,
): Promise<number> {
  const [rows]: [Array<{ age_seconds: number }>, number] = await repository.query(
    `UPDATE ${repository.metadata.tablePath}
     SET stripe_first_attempt_at = COALESCE(stripe_first_attempt_at, now())
     WHERE id = $1
     RETURNING extract(epoch FROM now() - stripe_first_attempt_at)::float8 AS age_seconds`,
    [id],
  );
  return rows[0]?.age_seconds ?? 0;
}

/** An entity from a `RETURNING *` row, converted as TypeORM converts the rows it selects. */
export function hydrate<T extends ObjectLiteral>(repository: Repository<T>, raw: ObjectLiteral): T {
  const entity = repository.create();
  const driver = repository.manager.dataSource.driver;
  for (const column of repository.metadata.columns) {
    column.setEntityValue(entity, driver.prepareHydratedValue(raw[column.databaseName], column));
  }
  return entity;
}
