import { Check, Column, Entity, Index, PrimaryColumn } from 'typeorm';

export const WEBHOOK_STATUSES = ['pending', 'processing', 'processed', 'ignored', 'failed', 'dead'] as const;
export type WebhookStatus = (typeof WEBHOOK_STATUSES)[number];

/**
 * Every Stripe event received, stored before it is acknowledged (SPEC §6): the record of
 * truth for processing, retries and the dead-letter queue. The event id is the key, so a
 * redelivery is a conflict, not a second row.
 */
@Entity({ name: 'webhook_inbox' })
@Index('webhook_inbox_received_idx', ['receivedAt', 'eventId'])
@Index('webhook_inbox_status_received_idx', ['status', 'receivedAt'])
@Check('webhook_inbox_status_check', `"status" IN (${WEBHOOK_STATUSES.map((s) => `'${s}'`).join(', ')})`)
@Check('webhook_inbox_attempts_check', '"attempts" >= 0')
export class WebhookInbox {
  @PrimaryColumn({ name: 'event_id', type: 'varchar', length: 255 })
  eventId!: string;

  @Column({ type: 'varchar', length: 255 })
  type!: string;

  @Column({ type: 'jsonb' })
  payload!: Record<string, unknown>;

  @Column({ type: 'varchar', length: 16, default: 'pending' })
  status!: WebhookStatus;

  @Column({ type: 'integer', default: 0 })
  attempts!: number;

  /** The last attempt's error, kept until the event is processed. */
  @Column({ type: 'text', nullable: true })
  error!: string | null;

  @Column({ name: 'received_at', type: 'timestamptz', default: () => 'now()' })
  receivedAt!: Date;

  @Column({ name: 'processed_at', type: 'timestamptz', nullable: true })
  processedAt!: Date | null;

  /** When the status last changed: the sweeper re-enqueues rows stuck in `processing` past a threshold. */
  @Column({ name: 'updated_at', type: 'timestamptz', default: () => 'now()' })
  updatedAt!: Date;
}
