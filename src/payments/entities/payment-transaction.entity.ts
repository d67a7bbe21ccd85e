import { Check, Column, Entity, Index, JoinColumn, ManyToOne, Unique } from 'typeorm';
import { MAX_AMOUNT } from '../../common/validation/money';
import { RequestRecord } from '../../database/record-columns';
import { PAYMENT_FAILURE_CODES, PaymentFailureCode } from '../../stripe';

export const PAYMENT_STATUSES = [
  'requires_payment_method',
  'requires_action',
  'processing',
  'succeeded',
  'failed',
  'canceled',
  'partially_refunded',
  'refunded',
] as const;
export type PaymentStatus = (typeof PAYMENT_STATUSES)[number];

export const PAYMENT_KINDS = ['payment', 'fee'] as const;
export type PaymentKind = (typeof PAYMENT_KINDS)[number];

const inList = (values: readonly string[]) => values.map((value) => `'${value}'`).join(', ');

/**
 * One payment (or fee) and its PaymentIntent. The row is written before Stripe is called and
 * completed after, so a crash in between leaves a row the retry finishes (docs/design/payments-and-refunds.md).
 */
@Entity({ name: 'payment_transactions' })
// Keys are scoped per user (docs/decisions/api-choices.md), so the user is part of the unique
// key: one row per scoped key, and two users never collide.
@Unique('payment_transactions_scoped_key_unique', ['tenantId', 'userId', 'idempotencyKey'])
@Unique('payment_transactions_stripe_payment_intent_unique', ['stripePaymentIntentId'])
@Index('payment_transactions_tenant_created_idx', ['tenantId', 'createdAt'])
@Check('payment_transactions_amount_check', `"amount" > 0 AND "amount" <= ${MAX_AMOUNT}`)
@Check(
  'payment_transactions_amount_refunded_check',
  '"amount_refunded" >= 0 AND "amount_refunded" <= "amount"',
)
@Check('payment_transactions_status_check', `"status" IN (${inList(PAYMENT_STATUSES)})`)
@Check('payment_transactions_kind_check', `"kind" IN (${inList(PAYMENT_KINDS)})`)
@Check(
  'payment_transactions_failure_code_check',
  `"failure_code" IS NULL OR "failure_code" IN (${inList(PAYMENT_FAILURE_CODES)})`,
)
export class PaymentTransaction extends RequestRecord {
  @Column({ type: 'varchar', length: 16 })
  kind!: PaymentKind;

  @Column({ type: 'varchar', length: 32 })
  status!: PaymentStatus;

  @Column({ type: 'integer' })
  amount!: number;

  @Column({ name: 'amount_refunded', type: 'integer', default: 0 })
  amountRefunded!: number;

  @Column({ type: 'char', length: 3 })
  currency!: string;

  @Column({ name: 'stripe_payment_intent_id', type: 'varchar', length: 255, nullable: true })
  stripePaymentIntentId!: string | null;

  @Column({ name: 'payment_method_id', type: 'varchar', length: 255, nullable: true })
  paymentMethodId!: string | null;

  @Column({ name: 'customer_id', type: 'varchar', length: 255, nullable: true })
  customerId!: string | null;

  @Column({ type: 'varchar', length: 1000, nullable: true })
  description!: string | null;

  @Column({ type: 'jsonb', default: () => "'{}'" })
  metadata!: Record<string, string>;

  @Column({ name: 'related_payment_id', type: 'uuid', nullable: true })
  relatedPaymentId!: string | null;

  @ManyToOne(() => PaymentTransaction, { onDelete: 'RESTRICT', nullable: true })
  @JoinColumn({
    name: 'related_payment_id',
    foreignKeyConstraintName: 'payment_transactions_related_payment_fk',
  })
  relatedPayment?: PaymentTransaction | null;

  /** Why the payment failed, in our own codes (the error it answers with). */
  @Column({ name: 'failure_code', type: 'varchar', length: 64, nullable: true })
  failureCode!: PaymentFailureCode | null;

  /** Stripe's decline code when the card was declined (`insufficient_funds`, …). */
  @Column({ name: 'decline_code', type: 'varchar', length: 64, nullable: true })
  declineCode!: string | null;

  /**
   * When the newest read of the payment's refunds from Stripe that has been applied began (the
   * database's clock): a refund event received before then is already reflected.
   */
  @Column({ name: 'refunds_synced_at', type: 'timestamptz', nullable: true })
  refundsSyncedAt!: Date | null;
}
