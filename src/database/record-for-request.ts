import { randomUUID } from 'node:crypto';
import { FindOptionsWhere, Repository } from 'typeorm';
import type { QueryDeepPartialEntity } from 'typeorm/query-builder/QueryPartialEntity';
import { ensureSameRequest, IdempotentExecution } from '../idempotency';
import { RequestRecord, StripeObjectRecord } from './record-columns';

/**
 * Recovery point 1 of every request that creates a Stripe object: the row exists, keyed by the
 * scoped key, before Stripe is called. A re-execution (after a 5xx or a crash) finds the row its
 * first attempt wrote; the same key back with another request is refused (422) rather than
 * answered with the old row. The caller passes its own repository: only the owner writes its table.
 */
export async function recordForRequest<T extends RequestRecord>(
  repository: Repository<T>,
  execution: IdempotentExecution,
  fields: QueryDeepPartialEntity<T>,
  noun: string,
): Promise<T> {
  await repository
    .createQueryBuilder()
    .insert()
    .values({
      id: randomUUID(),
      tenantId: execution.tenantId,
      userId: execution.userId,
      idempotencyKey: execution.key,
      requestHash: execution.requestHash,
      ...fields,
    })
    .orIgnore()
    .execute();
  const row = await repository.findOneByOrFail({
    tenantId: execution.tenantId,
    userId: execution.userId,
    idempotencyKey: execution.key,
  } as FindOptionsWhere<T>);
  ensureSameRequest(execution, row.requestHash, noun);
  return row;
}

/**
 * Stamps the row's first Stripe attempt (once) and answers its age in seconds, by the database
 * clock (`StripeAttempts` compares it with Stripe's idempotency window). Called by the row's
 * owner with its own repository.
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
