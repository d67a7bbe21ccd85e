import { Check, Column, Entity, Index, JoinColumn, ManyToOne, Unique } from 'typeorm';
import { StripeObjectRecord } from '../../database/record-columns';
import { PaymentTransaction } from '../../payments/entities/payment-transaction.entity';

export const REFUND_STATUSES = ['pending', 'requires_action', 'succeeded', 'failed', 'canceled'] as const;
export type RefundStatus = (typeof REFUND_STATUSES)[number];

/** `outside`: made outside this API, e.g. in the Stripe Dashboard. */
export const REFUND_SOURCES = ['api', 'outside'] as const;
export type RefundSource = (typeof REFUND_SOURCES)[number];

const inList = (values: readonly string[]) => values.map((value) => `'${value}'`).join(', ');

/**
 * One row per Stripe refund, whichever channel made it. An API refund's row is written `pending` before
 * Stripe is asked, so its amount stays reserved while the outcome is unknown.
 */
@Entity({ name: 'refunds' })
@Unique('refunds_scoped_key_unique', ['tenantId', 'userId', 'idempotencyKey'])
@Unique('refunds_stripe_refund_unique', ['stripeRefundId'])
@Index('refunds_payment_idx', ['paymentId'])
@Check('refunds_amount_check', '"amount" > 0')
@Check('refunds_status_check', `"status" IN (${inList(REFUND_STATUSES)})`)
@Check('refunds_source_check', `"source" IN (${inList(REFUND_SOURCES)})`)
@Check(
  'refunds_source_request_check',
  `("source" = 'api') = ("user_id" IS NOT NULL AND "idempotency_key" IS NOT NULL AND "request_hash" IS NOT NULL)`,
)
export class Refund extends StripeObjectRecord {
  // Not a RequestRecord: these are null for refunds made outside the API.
  @Column({ name: 'user_id', type: 'varchar', length: 128, nullable: true })
  userId!: string | null;

  @Column({ name: 'idempotency_key', type: 'uuid', nullable: true })
  idempotencyKey!: string | null;

  @Column({ name: 'request_hash', type: 'char', length: 64, nullable: true })
  requestHash!: string | null;

  @Column({ type: 'varchar', length: 16, default: 'api' })
  source!: RefundSource;

  @Column({ name: 'payment_id', type: 'uuid' })
  paymentId!: string;

  @ManyToOne(() => PaymentTransaction, { onDelete: 'RESTRICT' })
  @JoinColumn({ name: 'payment_id', foreignKeyConstraintName: 'refunds_payment_fk' })
  payment?: PaymentTransaction;

  @Column({ type: 'integer' })
  amount!: number;

  @Column({ type: 'char', length: 3 })
  currency!: string;

  @Column({ type: 'varchar', length: 16 })
  status!: RefundStatus;

  @Column({ type: 'varchar', length: 32, nullable: true })
  reason!: string | null;

  /** Stripe's `failure_reason`, or ours for a refund Stripe never made. */
  @Column({ name: 'failure_reason', type: 'varchar', length: 64, nullable: true })
  failureReason!: string | null;

  @Column({ name: 'stripe_refund_id', type: 'varchar', length: 255, nullable: true })
  stripeRefundId!: string | null;
}
