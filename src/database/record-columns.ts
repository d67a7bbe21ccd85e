import { Column, CreateDateColumn, PrimaryColumn, UpdateDateColumn } from 'typeorm';

/**
 * The columns every tenant-owned row of the service shares, declared once. TypeORM copies the
 * columns of an abstract parent into each entity that extends it, so properties stay flat
 * (`payment.tenantId`) and each table keeps its own column list.
 */
export abstract class TenantRecord {
  @PrimaryColumn({ type: 'uuid' })
  id!: string;

  @Column({ name: 'tenant_id', type: 'uuid' })
  tenantId!: string;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' })
  updatedAt!: Date;
}

/** A row that stands for one object at Stripe (a PaymentIntent, a refund, a customer). */
export abstract class StripeObjectRecord extends TenantRecord {
  /** When Stripe was first asked for this row's object: decides whether Stripe still replays. */
  @Column({ name: 'stripe_first_attempt_at', type: 'timestamptz', nullable: true })
  stripeFirstAttemptAt!: Date | null;
}

/**
 * A row created by one idempotent request: unique per scoped key (tenant, user, key), with the
 * request's fingerprint, so the same key coming back with another request is refused.
 */
export abstract class RequestRecord extends StripeObjectRecord {
  @Column({ name: 'user_id', type: 'varchar', length: 128 })
  userId!: string;

  @Column({ name: 'idempotency_key', type: 'uuid' })
  idempotencyKey!: string;

  @Column({ name: 'request_hash', type: 'char', length: 64 })
  requestHash!: string;
}
