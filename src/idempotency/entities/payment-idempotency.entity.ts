import { Check, Column, CreateDateColumn, Entity, Index, PrimaryColumn, UpdateDateColumn } from 'typeorm';

export type IdempotencyStatus = 'in_progress' | 'completed';

export interface StoredResponse {
  statusCode: number;
  /** Kept as text so that a replay is byte-for-byte the first response. */
  body: string;
  location?: string;
}

/** The record of truth for a scoped idempotency key (docs/design/idempotency.md); Redis only caches it. */
@Entity({ name: 'payment_idempotency' })
@Check('payment_idempotency_status_check', `"status" IN ('in_progress', 'completed')`)
@Check('payment_idempotency_completed_has_response', `"status" <> 'completed' OR "response" IS NOT NULL`)
@Index('payment_idempotency_expires_at_idx', ['expiresAt'])
export class PaymentIdempotency {
  @PrimaryColumn({ name: 'tenant_id', type: 'uuid' })
  tenantId!: string;

  @PrimaryColumn({ name: 'user_id', type: 'varchar', length: 128 })
  userId!: string;

  @PrimaryColumn({ name: 'idempotency_key', type: 'uuid' })
  idempotencyKey!: string;

  @Column({ name: 'request_hash', type: 'char', length: 64 })
  requestHash!: string;

  @Column({ type: 'varchar', length: 16 })
  status!: IdempotencyStatus;

  @Column({ type: 'jsonb', nullable: true })
  response!: StoredResponse | null;

  @Column({ name: 'locked_at', type: 'timestamptz', nullable: true })
  lockedAt!: Date | null;

  @Column({ name: 'lock_token', type: 'uuid', nullable: true })
  lockToken!: string | null;

  @Column({ name: 'expires_at', type: 'timestamptz' })
  expiresAt!: Date;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' })
  updatedAt!: Date;
}
