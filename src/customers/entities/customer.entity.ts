import { Column, CreateDateColumn, Entity, PrimaryColumn, Unique, UpdateDateColumn } from 'typeorm';

/**
 * A Stripe customer that belongs to one tenant. All tenants share one Stripe account, so this
 * row is what makes `cus_…` ids tenant-scoped: a payment may only name a customer its tenant
 * owns here. Written before Stripe is called (keyed by the scoped idempotency key) and
 * completed with the Stripe id after, like payments.
 */
@Entity({ name: 'customers' })
@Unique('customers_scoped_key_unique', ['tenantId', 'userId', 'idempotencyKey'])
@Unique('customers_stripe_customer_unique', ['stripeCustomerId'])
export class Customer {
  @PrimaryColumn({ type: 'uuid' })
  id!: string;

  @Column({ name: 'tenant_id', type: 'uuid' })
  tenantId!: string;

  @Column({ name: 'user_id', type: 'varchar', length: 128 })
  userId!: string;

  @Column({ name: 'idempotency_key', type: 'uuid' })
  idempotencyKey!: string;

  /** Fingerprint of the creating request: a reused key with another request is refused. */
  @Column({ name: 'request_hash', type: 'char', length: 64 })
  requestHash!: string;

  /** Null until Stripe has created the customer. */
  @Column({ name: 'stripe_customer_id', type: 'varchar', length: 255, nullable: true })
  stripeCustomerId!: string | null;

  @Column({ type: 'varchar', length: 512, nullable: true })
  email!: string | null;

  @Column({ type: 'varchar', length: 256, nullable: true })
  name!: string | null;

  @Column({ type: 'jsonb', default: () => "'{}'" })
  metadata!: Record<string, string>;

  /** When Stripe was first asked for this row's customer: decides whether Stripe still replays. */
  @Column({ name: 'stripe_first_attempt_at', type: 'timestamptz', nullable: true })
  stripeFirstAttemptAt!: Date | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' })
  updatedAt!: Date;
}
