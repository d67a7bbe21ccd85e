import { Check, Column, Entity, Index, PrimaryColumn } from 'typeorm';

export const WEBHOOK_STATUSES = ['pending', 'processing', 'processed', 'ignored', 'failed', 'dead'] as const;
export type WebhookStatus = (typeof WEBHOOK_STATUSES)[number];

export interface AttemptError {
  attempt: number;
  at: string;
  error: string;
}

/** Only the latest failed attempts are kept, so a row's size stays bounded. */
export const ATTEMPT_ERRORS_KEPT = 10;

/**
 * Every Stripe event, stored before it is acknowledged (docs/design/webhooks.md). The event id is the primary
 * key, so a redelivery conflicts instead of adding a row.
 */
@Entity({ name: 'webhook_inbox' })
@Index('webhook_inbox_received_idx', ['receivedAt', 'eventId'])
@Index('webhook_inbox_status_received_idx', ['status', 'receivedAt'])
@Check('webhook_inbox_status_check', `"status" IN (${WEBHOOK_STATUSES.map((s) => `'${s}'`).join(', ')})`)
@Check('webhook_inbox_attempts_check', '"attempts" >= 0')
@Check('webhook_inbox_payload_check', '"payload" IS NOT NULL OR "raw_body" IS NOT NULL')
export class WebhookInbox {
  @PrimaryColumn({ name: 'event_id', type: 'varchar', length: 255 })
  eventId!: string;

  @Column({ type: 'varchar', length: 255 })
  type!: string;

  @Column({ type: 'jsonb', nullable: true })
  payload!: Record<string, unknown> | null;

  /** Set only when PostgreSQL refused the body as jsonb; such an event is acknowledged and kept `dead`. */
  @Column({ name: 'raw_body', type: 'text', nullable: true })
  rawBody!: string | null;

  @Column({ type: 'varchar', length: 16, default: 'pending' })
  status!: WebhookStatus;

  @Column({ type: 'integer', default: 0 })
  attempts!: number;

  @Column({ type: 'text', nullable: true })
  error!: string | null;

  /** Oldest first. Unlike `error`, not cleared when the event is processed. */
  @Column({ name: 'attempt_errors', type: 'jsonb', default: () => "'[]'" })
  attemptErrors!: AttemptError[];

  @Column({ name: 'received_at', type: 'timestamptz', default: () => 'now()' })
  receivedAt!: Date;

  @Column({ name: 'processed_at', type: 'timestamptz', nullable: true })
  processedAt!: Date | null;

  /** The sweeper re-adds a lost job only for a row whose `updated_at` has not changed since it read it. */
  @Column({ name: 'updated_at', type: 'timestamptz', default: () => 'now()' })
  updatedAt!: Date;
}
