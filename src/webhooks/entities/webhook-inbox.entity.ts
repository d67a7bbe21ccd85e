import { Check, Column, Entity, Index, PrimaryColumn } from 'typeorm';

export const WEBHOOK_STATUSES = ['pending', 'processing', 'processed', 'ignored', 'failed', 'dead'] as const;
export type WebhookStatus = (typeof WEBHOOK_STATUSES)[number];

/** One failed attempt, as kept in `attempt_errors`. */
export interface AttemptError {
  attempt: number;
  /** ISO 8601, by the database clock. */
  at: string;
  error: string;
}

/** How many failed attempts `attempt_errors` keeps: the latest, so a row's size stays bounded. */
export const ATTEMPT_ERRORS_KEPT = 10;

/**
 * Every Stripe event received, stored before it is acknowledged (docs/design/webhooks.md): the record of
 * truth for processing, retries and the dead-letter queue. The event id is the key, so a
 * redelivery is a conflict, not a second row.
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

  /** The event as Stripe sent it; null only for one PostgreSQL could not store as jsonb (see `rawBody`). */
  @Column({ type: 'jsonb', nullable: true })
  payload!: Record<string, unknown> | null;

  /**
   * The body as received, kept only when PostgreSQL refused it as jsonb (a `\u0000`, a lone
   * surrogate, nesting past its limit): such an event is acknowledged and kept `dead` with the reason.
   */
  @Column({ name: 'raw_body', type: 'text', nullable: true })
  rawBody!: string | null;

  @Column({ type: 'varchar', length: 16, default: 'pending' })
  status!: WebhookStatus;

  @Column({ type: 'integer', default: 0 })
  attempts!: number;

  /** The last attempt's error, kept until the event is processed. */
  @Column({ type: 'text', nullable: true })
  error!: string | null;

  /** The last `ATTEMPT_ERRORS_KEPT` failed attempts, oldest first; never cleared by a success. */
  @Column({ name: 'attempt_errors', type: 'jsonb', default: () => "'[]'" })
  attemptErrors!: AttemptError[];

  @Column({ name: 'received_at', type: 'timestamptz', default: () => 'now()' })
  receivedAt!: Date;

  @Column({ name: 'processed_at', type: 'timestamptz', nullable: true })
  processedAt!: Date | null;

  /** When the row last changed: the sweeper re-adds a lost job only for a row that has not moved since it looked. */
  @Column({ name: 'updated_at', type: 'timestamptz', default: () => 'now()' })
  updatedAt!: Date;
}
