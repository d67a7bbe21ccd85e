import { randomUUID } from 'node:crypto';
import { EntityManager, FindOptionsWhere, ObjectLiteral, Repository } from 'typeorm';
import type { QueryDeepPartialEntity } from 'typeorm/query-builder/QueryPartialEntity';
import { hydrate } from '../database/hydrate';
import { RequestRecord, StripeObjectRecord } from '../database/record-columns';
import { TransactionRunner } from '../database/transaction-runner';
import { runInUnitOfWork, UnitOfWork } from '../database/unit-of-work';
import { ensureSameRequest, IdempotentExecution } from './idempotent-request';

export interface RecordedRow<T> {
  row: T;
  /** True when inserted by this execution, so Stripe cannot have seen it yet. */
  created: boolean;
}

export interface RequestIdentity {
  id: string;
  tenantId: string;
  userId: string;
  idempotencyKey: string;
  requestHash: string;
}

export type InsertRow = (
  manager: EntityManager,
  identity: RequestIdentity,
) => Promise<ObjectLiteral | undefined>;

/**
 * A statement written with the insert, sent without waiting for its answer: it must do nothing
 * when no row has `identity.id`. Outside a unit of work both run in one of `transactions`, so
 * what the statement defers to the commit waits for it.
 */
export interface AlongsideRow {
  write: (manager: EntityManager, identity: RequestIdentity) => Promise<unknown>;
  transactions: TransactionRunner;
}

/**
 * Recovery point 1: the row is durable before Stripe is called. A re-execution finds the row its first
 * attempt wrote; the same key with a different request is refused (422).
 */
export async function recordForRequest<T extends RequestRecord>(
  repository: Repository<T>,
  execution: IdempotentExecution,
  insert: InsertRow,
  noun: string,
  alongside?: AlongsideRow,
): Promise<RecordedRow<T>> {
  const identity: RequestIdentity = {
    id: randomUUID(),
    tenantId: execution.tenantId,
    userId: execution.userId,
    idempotencyKey: execution.key,
    requestHash: execution.requestHash,
  };
  const raw = alongside
    ? await insertWith(identity, insert, alongside)
    : await runInUnitOfWork('commit', repository.manager, (manager) => insert(manager, identity));
  const recorded: RecordedRow<T> = raw
    ? { row: hydrate(repository, raw), created: true }
    : { row: await findRecorded(repository, execution), created: false };
  ensureSameRequest(execution, recorded.row.requestHash, noun);
  return recorded;
}

/** In a unit of work, the deferred insert and the statement alongside go in one write with COMMIT. */
async function insertWith(
  identity: RequestIdentity,
  insert: InsertRow,
  alongside: AlongsideRow,
): Promise<ObjectLiteral | undefined> {
  const unit = UnitOfWork.current();
  if (unit) {
    const { answer } = await unit.defer((transaction) => insert(transaction, identity));
    await unit.commit((transaction) => alongside.write(transaction, identity));
    return answer;
  }
  return alongside.transactions.run(async (transaction) => {
    const inserted = await insert(transaction, identity);
    if (inserted) await alongside.write(transaction, identity);
    return inserted;
  });
}

/** `ON CONFLICT DO NOTHING` waited for the conflicting transaction, so the row read here is committed. */
function findRecorded<T extends RequestRecord>(
  repository: Repository<T>,
  execution: IdempotentExecution,
): Promise<T> {
  return repository.findOneByOrFail({
    tenantId: execution.tenantId,
    userId: execution.userId,
    idempotencyKey: execution.key,
  } as FindOptionsWhere<T>);
}

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

/** Seconds since Stripe was first asked for the row's object (database clock); stamps an unstamped row. */
export async function stripeAttemptAge(
  repository: Repository<StripeObjectRecord>,
  recorded: RecordedRow<StripeObjectRecord>,
): Promise<number> {
  if (recorded.created) return 0;
  const stamped = await repository
    .createQueryBuilder()
    .update()
    // Leaves `updated_at` alone: reconciliation reads it, and a stamp is not a change of the row.
    .set({
      stripeFirstAttemptAt: () => 'COALESCE(stripe_first_attempt_at, now())',
      updatedAt: () => 'updated_at',
    })
    .where('id = :id', { id: recorded.row.id })
    .returning('extract(epoch FROM now() - stripe_first_attempt_at)::float8 AS age_seconds')
    .execute();
  return (stamped.raw as Array<{ age_seconds: number }>)[0]?.age_seconds ?? 0;
}
