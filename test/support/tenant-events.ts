import { randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import { TransactionRunner } from '../../src/database/transaction-runner';
import { EventDraft, EventOutbox } from '../../src/events';
import type { TestApp } from './test-app';

/**
 * Records events as the payments and refunds code will: through `EventOutbox.record` in a
 * transaction of `TransactionRunner`, then (unless told not to) `relay` after the commit.
 */
export async function recordEvents(
  testApp: Pick<TestApp, 'app'>,
  drafts: EventDraft[],
  options: { relay?: boolean } = {},
): Promise<string[]> {
  const outbox = testApp.app.get(EventOutbox);
  const ids = await testApp.app.get(TransactionRunner).run(async (transaction) => {
    const recorded: string[] = [];
    for (const draft of drafts) recorded.push(await outbox.record(transaction, draft));
    return recorded;
  });
  if (options.relay !== false) outbox.relay(ids);
  return ids;
}

/** A payment row of `tenantId` for events to belong to (no Stripe call: the outbox only needs the row). */
export async function insertPayment(testApp: Pick<TestApp, 'app'>, tenantId: string): Promise<string> {
  const id = randomUUID();
  await testApp.app.get(DataSource).query(
    `INSERT INTO payment_transactions (id, tenant_id, user_id, idempotency_key, request_hash, kind, status,
       amount, currency, stripe_payment_intent_id)
     VALUES ($1, $2, 'user-1', $3, $4, 'payment', 'succeeded', 1000, 'usd', $5)`,
    [id, tenantId, randomUUID(), 'a'.repeat(64), `pi_events_${id.slice(0, 8)}`],
  );
  return id;
}

/**
 * A payment event as the payments code would draft it: the object is the payment as
 * `GET /payments/{id}` answers it (the row `insertPayment` writes, at `status`), every field of
 * it, as the API document describes an event's `data.object`.
 */
export function paymentEvent(
  tenantId: string,
  paymentId: string,
  status: string,
  previousStatus: string | null = 'processing',
): EventDraft {
  const now = new Date().toISOString();
  return {
    tenantId,
    paymentId,
    type: `payment.${status}` as EventDraft['type'],
    object: {
      id: paymentId,
      tenantId,
      kind: 'payment',
      status,
      amount: 1000,
      amountRefunded: 0,
      currency: 'usd',
      stripePaymentIntentId: `pi_events_${paymentId.slice(0, 8)}`,
      customerId: null,
      description: null,
      metadata: {},
      createdAt: now,
      updatedAt: now,
    },
    previousStatus,
    cause: { kind: 'request', requestId: 'req-1', idempotencyKey: randomUUID() },
  };
}

/** The ids of a list answer's `data`, in order. */
export function eventIds(response: { body: unknown }): string[] {
  return (response.body as { data: Array<{ id: string }> }).data.map((item) => item.id);
}
