import { ApiProperty } from '@nestjs/swagger';
import {
  ATTEMPT_ERRORS_KEPT,
  WEBHOOK_STATUSES,
  WebhookInbox,
  WebhookStatus,
} from '../entities/webhook-inbox.entity';

export class WebhookAttemptErrorDto {
  @ApiProperty({ type: 'integer', description: 'Which attempt (1 for the first)', example: 2 })
  attempt!: number;
  @ApiProperty({ format: 'date-time', description: 'When it failed', example: '2026-01-01T00:00:00.000Z' })
  at!: string;
  @ApiProperty({ description: 'Its error: type and message', example: 'TransientEventError: …' })
  error!: string;
}

/** Mapped field by field, so that no entity column reaches the API. */
export class WebhookEventResponseDto {
  @ApiProperty({ example: 'evt_123' }) eventId!: string;
  @ApiProperty({ example: 'payment_intent.succeeded' }) type!: string;
  @ApiProperty({ enum: WEBHOOK_STATUSES }) status!: WebhookStatus;
  @ApiProperty({ type: 'integer', description: 'Processing attempts so far' }) attempts!: number;
  @ApiProperty({
    nullable: true,
    type: String,
    description: 'The last failed attempt’s error (cleared once processed), or why the event was kept raw',
  })
  error!: string | null;
  @ApiProperty({
    type: [WebhookAttemptErrorDto],
    description: `The last ${ATTEMPT_ERRORS_KEPT} failed attempts, oldest first; kept after a later success`,
  })
  attemptErrors!: WebhookAttemptErrorDto[];
  @ApiProperty({ format: 'date-time' }) receivedAt!: string;
  @ApiProperty({ nullable: true, type: String, format: 'date-time' }) processedAt!: string | null;
  @ApiProperty({
    type: 'object',
    additionalProperties: true,
    nullable: true,
    description: 'The event as Stripe sent it; null when PostgreSQL could not store it as JSON (see rawBody)',
  })
  payload!: Record<string, unknown> | null;
  @ApiProperty({
    nullable: true,
    type: String,
    description:
      'The body as received, kept only for an event PostgreSQL could not store as JSON (a \\u0000, a lone surrogate, nesting past its limit); such an event is dead',
  })
  rawBody!: string | null;

  static from(row: WebhookInbox): WebhookEventResponseDto {
    return {
      eventId: row.eventId,
      type: row.type,
      status: row.status,
      attempts: row.attempts,
      error: row.error,
      attemptErrors: row.attemptErrors.map(({ attempt, at, error }) => ({ attempt, at, error })),
      receivedAt: row.receivedAt.toISOString(),
      processedAt: row.processedAt?.toISOString() ?? null,
      payload: row.payload,
      rawBody: row.rawBody,
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
