import { ApiProperty } from '@nestjs/swagger';
import { WEBHOOK_STATUSES, WebhookInbox, WebhookStatus } from '../entities/webhook-inbox.entity';

/** One inbox row as operators see it. Mapped field by field: never an entity. */
export class WebhookEventResponseDto {
  @ApiProperty({ example: 'evt_123' }) eventId!: string;
  @ApiProperty({ example: 'payment_intent.succeeded' }) type!: string;
  @ApiProperty({ enum: WEBHOOK_STATUSES }) status!: WebhookStatus;
  @ApiProperty({ description: 'Processing attempts so far' }) attempts!: number;
  @ApiProperty({ nullable: true, type: String, description: 'The last failed attempt’s error' })
  error!: string | null;
  @ApiProperty() receivedAt!: string;
  @ApiProperty({ nullable: true, type: String }) processedAt!: string | null;
  @ApiProperty({ type: 'object', additionalProperties: true, description: 'The event as Stripe sent it' })
  payload!: Record<string, unknown>;

  static from(row: WebhookInbox): WebhookEventResponseDto {
    return {
      eventId: row.eventId,
      type: row.type,
      status: row.status,
      attempts: row.attempts,
      error: row.error,
      receivedAt: row.receivedAt.toISOString(),
      processedAt: row.processedAt?.toISOString() ?? null,
      payload: row.payload,
    };
  }
}

export class WebhookEventPageDto {
  @ApiProperty({ type: [WebhookEventResponseDto] }) items!: WebhookEventResponseDto[];
  @ApiProperty({
    nullable: true,
    type: String,
    description: 'Pass as `cursor` for the next page; null on the last',
  })
  nextCursor!: string | null;
}

export class WebhookReplayResponseDto {
  @ApiProperty({ example: 'evt_123' }) eventId!: string;
  @ApiProperty({ enum: ['queued'] }) status!: 'queued';
}

export class WebhookReceiptDto {
  @ApiProperty({ enum: [true] }) received!: true;
  @ApiProperty({ required: false, enum: [true], description: 'The event was already stored' })
  duplicate?: true;
}
