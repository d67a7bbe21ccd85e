import { createHash, randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import type { IdempotentExecution } from '../../../src/idempotency';
import { IdempotencyErrorCode, IdempotencyException } from '../../../src/idempotency/idempotency.exception';
import { IdempotencyScope } from '../../../src/idempotency/idempotency-scope';
import { PaymentTransaction } from '../../../src/payments/entities/payment-transaction.entity';
import { Refund } from '../../../src/refunds/entities/refund.entity';

export function requestHash(seed: string = randomUUID()): string {
  return createHash('sha256').update(seed).digest('hex');
}

/** A running idempotent execution, as the interceptor hands it to a service: a new scope unless overridden. */
export function buildExecution(overrides: Partial<IdempotentExecution> = {}): IdempotentExecution {
  return {
    tenantId: randomUUID(),
    userId: 'user-medium',
    key: randomUUID(),
    requestHash: requestHash(),
    ensureHeld: () => Promise.resolve(),
    ...overrides,
  };
}

/** The same request executed again (a retry, a takeover): same scope and fingerprint, its own lease. */
export function reExecution(
  execution: IdempotentExecution,
  ensureHeld: IdempotentExecution['ensureHeld'] = () => Promise.resolve(),
): IdempotentExecution {
  return { ...execution, ensureHeld };
}

/** A lease that was lost: every check rejects as `IdempotencyService.ensureHeld` does then. */
export function lostLease(): () => Promise<void> {
  return () =>
    Promise.reject(
      new IdempotencyException(IdempotencyErrorCode.DUPLICATE_IN_PROGRESS, 'Taken over by a retry'),
    );
}

/** A succeeded payment with its PaymentIntent, ready to be refunded, unless overridden. */
export async function insertPayment(
  dataSource: DataSource,
  overrides: Partial<PaymentTransaction> = {},
): Promise<PaymentTransaction> {
  const repository = dataSource.getRepository(PaymentTransaction);
  return repository.save(
    repository.create({
      id: randomUUID(),
      tenantId: randomUUID(),
      userId: 'user-medium',
      idempotencyKey: randomUUID(),
      requestHash: requestHash(),
      kind: 'payment',
      status: 'succeeded',
      amount: 1000,
      amountRefunded: 0,
      currency: 'usd',
      stripePaymentIntentId: `pi_seed_${randomUUID()}`,
      paymentMethodId: 'pm_card_visa',
      customerId: null,
      description: null,
      metadata: {},
      relatedPaymentId: null,
      failureCode: null,
      declineCode: null,
      stripeFirstAttemptAt: null,
      ...overrides,
    }),
  );
}

/** A refund row of `payment` made through the API by another key, `pending` unless overridden. */
export async function insertRefund(
  dataSource: DataSource,
  payment: PaymentTransaction,
  overrides: Partial<Refund> = {},
): Promise<Refund> {
  const repository = dataSource.getRepository(Refund);
  return repository.save(
    repository.create({
      id: randomUUID(),
      tenantId: payment.tenantId,
      userId: payment.userId,
      idempotencyKey: randomUUID(),
      requestHash: requestHash(),
      paymentId: payment.id,
      amount: 100,
      currency: payment.currency,
      status: 'pending',
      reason: null,
      stripeRefundId: null,
      stripeFirstAttemptAt: null,
      ...overrides,
    }),
  );
}

type RowTable = 'payment_transactions' | 'refunds';
type RowTimeColumn = 'stripe_first_attempt_at' | 'created_at' | 'updated_at';
type RecordTimeColumn = 'locked_at' | 'expires_at' | 'created_at';

/** Moves a row's timestamp into the past: how these tests let time pass, never by sleeping. */
export async function backdateRow(
  dataSource: DataSource,
  table: RowTable,
  id: string,
  column: RowTimeColumn,
  seconds: number,
): Promise<void> {
  await dataSource.query(
    `UPDATE ${table} SET ${column} = ${column} - make_interval(secs => $2) WHERE id = $1`,
    [id, seconds],
  );
}

export async function backdateRecord(
  dataSource: DataSource,
  scope: IdempotencyScope,
  column: RecordTimeColumn,
  seconds: number,
): Promise<void> {
  await dataSource.query(
    `UPDATE payment_idempotency SET ${column} = ${column} - make_interval(secs => $4)
     WHERE tenant_id = $1 AND user_id = $2 AND idempotency_key = $3`,
    [scope.tenantId, scope.userId, scope.key, seconds],
  );
}
