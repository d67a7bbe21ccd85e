import { randomUUID } from 'node:crypto';
import type { Client } from 'pg';

/** A completed idempotency record expiring `expiresInSeconds` from now (negative: already expired). */
export async function insertCompletedIdempotencyRecord(
  db: Client,
  tenantId: string,
  expiresInSeconds: number,
): Promise<void> {
  await db.query(
    `INSERT INTO payment_idempotency
       (tenant_id, user_id, idempotency_key, request_hash, status, response, expires_at)
     VALUES ($1, 'cleanup-test', $2, $3, 'completed', '{"statusCode":201,"body":{}}'::jsonb,
             now() + make_interval(secs => $4))`,
    [tenantId, randomUUID(), 'a'.repeat(64), expiresInSeconds],
  );
}

export async function countIdempotencyRecords(db: Client, tenantId: string): Promise<number> {
  const { rows } = await db.query<{ count: string }>(
    'SELECT count(*) FROM payment_idempotency WHERE tenant_id = $1',
    [tenantId],
  );
  return Number(rows[0].count);
}
