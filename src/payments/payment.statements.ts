import { runPrepared, PreparedStatement } from '../database/prepared-statement';
import { ObjectLiteral } from 'typeorm';
import { beforeCursor, createdWithin, decodeKeysetCursor, micros } from '../common/pagination/keyset-cursor';
import { InsertRow } from '../idempotency';
import { NewPayment, PaymentQuery } from './payment.types';

/**
 * The payment repository's longer statements. The writes of every new payment are prepared: sent
 * by name, parsed and planned once per connection.
 */

const INSERT_PAYMENT: PreparedStatement = {
  name: 'payment_transactions_insert',
  text: `INSERT INTO payment_transactions
           (id, tenant_id, user_id, idempotency_key, request_hash, kind, status, amount, amount_refunded,
            currency, payment_method_id, customer_id, description, metadata, related_payment_id,
            stripe_first_attempt_at, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 0, $9, $10, $11, $12, $13, $14, now(), $15, $15)
         ON CONFLICT DO NOTHING
         RETURNING *`,
};
export const APPLY_INTENT: PreparedStatement = {
  name: 'payment_transactions_apply_intent',
  text: `UPDATE payment_transactions
         SET stripe_payment_intent_id = $2, status = $3, failure_code = $4, decline_code = $5,
             updated_at = now()
         WHERE id = $1 AND stripe_payment_intent_id IS NULL
         RETURNING *`,
};
/** `APPLY_INTENT` for a row known without reading it back: deferred to the key's completion. */
export const APPLY_INTENT_AT: PreparedStatement = {
  name: 'payment_transactions_apply_intent_at',
  text: `UPDATE payment_transactions
         SET stripe_payment_intent_id = $2, status = $3, failure_code = $4, decline_code = $5,
             updated_at = $6
         WHERE id = $1 AND stripe_payment_intent_id IS NULL`,
};

export function insertPayment(fields: NewPayment, at: Date): InsertRow {
  return async (manager, row) => {
    const inserted = await runPrepared(manager, INSERT_PAYMENT, [
      row.id,
      row.tenantId,
      row.userId,
      row.idempotencyKey,
      row.requestHash,
      fields.kind,
      fields.status,
      fields.amount,
      fields.currency,
      fields.paymentMethodId,
      fields.customerId,
      fields.description,
      fields.metadata,
      fields.relatedPaymentId,
      at,
    ]);
    return inserted.rows[0];
  };
}

/** Fails the row, under its lock, answering it with the status it had; no row when it may not fail. */
export const MARK_FAILED = `UPDATE payment_transactions payment
  SET status = 'failed', failure_code = $2, decline_code = $3, updated_at = now()
  FROM (SELECT id, status FROM payment_transactions WHERE id = $1 FOR UPDATE) previous
  WHERE payment.id = previous.id AND payment.stripe_payment_intent_id IS NULL AND payment.status <> 'failed'
  RETURNING payment.*, previous.status AS previous_status`;

export type ListedRow = ObjectLiteral & { id: string; cursor_micros: string };

/** The query of a page of `GET /payments` and its parameters, one row more than the page. */
export function listPayments(query: PaymentQuery): [string, unknown[]] {
  const after = query.cursor ? decodeKeysetCursor(query.cursor) : undefined;
  return [
    `SELECT *, ${micros('created_at')}::text AS cursor_micros FROM payment_transactions
     WHERE tenant_id = $1 AND ($2::varchar IS NULL OR status = $2) AND ($3::varchar IS NULL OR customer_id = $3)
       AND ${createdWithin('created_at', 4)} AND ${beforeCursor('created_at', 'id', 6)}
     ORDER BY created_at DESC, id DESC LIMIT $8`,
    [
      query.tenantId,
      query.status ?? null,
      query.customerId ?? null,
      query.createdFrom ?? null,
      query.createdTo ?? null,
      after?.micros ?? null,
      after?.id ?? null,
      query.limit + 1,
    ],
  ];
}
