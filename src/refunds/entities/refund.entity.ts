import { Check, Column, Entity, Index, JoinColumn, ManyToOne, Unique } from 'typeorm';
import { StripeObjectRecord } from '../../database/record-columns';
import { PaymentTransaction } from '../../payments/entities/payment-transaction.entity';

export const REFUND_STATUSES = ['pending', 'succeeded', 'failed', 'canceled'] as const;
export type RefundStatus = (typeof REFUND_STATUSES)[number];

/**
 * A refund of part or all of a payment. `pending` rows reserve their amount: the sum of a
 * payment's settled and pending refunds never exceeds it (checked under the payment's row lock).
 */
@Entity({ name: 'refunds' })
@Unique('refunds_scoped_key_unique', ['tenantId', 'userId', 'idempotencyKey'])
@Unique('refunds_stripe_refund_unique', ['stripeRefundId'])
@Index('refunds_payment_idx', ['paymentId'])
@Check('refunds_amount_check', '"amount" > 0')
@Check('refunds_status_check', `"status" IN ('pending', 'succeeded', 'failed', 'canceled')`)
export class Refund extends StripeObjectRecord {
  // Not a RequestRecord: these three are null for refunds made outside the API.
  /** Null for refunds made outside the API (e.g. in the Stripe dashboard, learnt by webhook). */
  @Column({ name: 'user_id', type: 'varchar', length: 128, nullable: true })
  userId!: string | null;

  @Column({ name: 'idempotency_key', type: 'uuid', nullable: true })
  idempotencyKey!: string | null;

  @Column({ name: 'request_hash', type: 'char', length: 64, nullable: true })
  requestHash!: string | null;

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

  @Column({ name: 'stripe_refund_id', type: 'varchar', length: 255, nullable: true })
  stripeRefundId!: string | null;
}
