import { Column, CreateDateColumn, PrimaryColumn, UpdateDateColumn } from 'typeorm';

/** Copied into each entity by TypeORM, so properties stay flat (`payment.tenantId`). */
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

export abstract class StripeObjectRecord extends TenantRecord {
  /** When Stripe was first asked for this row's object; decides whether Stripe still replays the request. */
  @Column({ name: 'stripe_first_attempt_at', type: 'timestamptz', nullable: true })
  stripeFirstAttemptAt!: Date | null;
}

/** Unique per scoped key, with the request's fingerprint, so the same key with another request is refused. */
export abstract class RequestRecord extends StripeObjectRecord {
  @Column({ name: 'user_id', type: 'varchar', length: 128 })
  userId!: string;

  @Column({ name: 'idempotency_key', type: 'uuid' })
  idempotencyKey!: string;

  @Column({ name: 'request_hash', type: 'char', length: 64 })
  requestHash!: string;
}
