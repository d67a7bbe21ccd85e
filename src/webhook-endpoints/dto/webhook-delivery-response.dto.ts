import { ApiProperty } from '@nestjs/swagger';
import { EVENT_TYPES } from '../../events';
import {
  ATTEMPT_LOG_KEPT,
  DELIVERY_STATUSES,
  DeliveryStatus,
  WebhookDelivery,
} from '../webhook-delivery.repository';

export class DeliveryAttemptDto {
  @ApiProperty({
    type: 'integer',
    minimum: 0,
    description:
      'Which attempt (1 for the first); 0 for a pending delivery failed when its endpoint was disabled. A delivery settled without being sent (its endpoint disabled, or its event gone, when its turn came) keeps its claimed number, with the reason as `error`',
    example: 1,
  })
  attempt!: number;
  @ApiProperty({ format: 'date-time' }) at!: string;
  @ApiProperty({
    nullable: true,
    type: 'integer',
    description: 'The receiver’s status code; null when none came',
    example: 200,
  })
  statusCode!: number | null;
  @ApiProperty({ nullable: true, type: 'integer', minimum: 0, example: 84 }) durationMs!: number | null;
  @ApiProperty({ nullable: true, type: String, description: 'Why it failed; null for a success' })
  error!: string | null;
  @ApiProperty({
    nullable: true,
    type: String,
    format: 'date-time',
    description: 'When the next attempt was due after this one',
  })
  nextAttemptAt!: string | null;
}

export class WebhookDeliveryResponseDto {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty({ format: 'uuid', description: 'The event: the `webhook-id` of every attempt' })
  eventId!: string;
  @ApiProperty({ enum: EVENT_TYPES }) eventType!: string;
  @ApiProperty({ format: 'uuid' }) endpointId!: string;
  @ApiProperty({
    enum: DELIVERY_STATUSES,
    description:
      '`pending`: an attempt is due at `nextAttemptAt`; `succeeded`: a 2xx came; `failed`: given up (3 days after the event, or the endpoint disabled)',
  })
  status!: DeliveryStatus;
  @ApiProperty({ type: 'integer', minimum: 0, description: 'Attempts made so far', example: 1 })
  attempts!: number;
  @ApiProperty({ nullable: true, type: String, format: 'date-time' }) nextAttemptAt!: string | null;
  @ApiProperty({ nullable: true, type: String, format: 'date-time' }) deliveredAt!: string | null;
  @ApiProperty({ format: 'date-time' }) createdAt!: string;
  @ApiProperty({
    type: [DeliveryAttemptDto],
    description: `The last ${ATTEMPT_LOG_KEPT} attempts, oldest first`,
  })
  attemptLog!: DeliveryAttemptDto[];

  static from(delivery: WebhookDelivery): WebhookDeliveryResponseDto {
    return {
      id: delivery.id,
      eventId: delivery.eventId,
      eventType: delivery.eventType,
      endpointId: delivery.endpointId,
      status: delivery.status,
      attempts: delivery.attempts,
      nextAttemptAt: delivery.nextAttemptAt?.toISOString() ?? null,
      deliveredAt: delivery.deliveredAt?.toISOString() ?? null,
      createdAt: delivery.createdAt.toISOString(),
      attemptLog: delivery.attemptLog.map((entry) => ({
        attempt: entry.attempt,
        at: new Date(entry.at).toISOString(),
        statusCode: entry.statusCode,
        durationMs: entry.durationMs,
        error: entry.error,
        nextAttemptAt: entry.nextAttemptAt === null ? null : new Date(entry.nextAttemptAt).toISOString(),
      })),
    };
  }
}

export class WebhookDeliveryPageDto {
  @ApiProperty({ type: [WebhookDeliveryResponseDto] }) data!: WebhookDeliveryResponseDto[];
  @ApiProperty({
    nullable: true,
    type: String,
    description: 'Pass as `cursor` for the next page; null on the last',
  })
  nextCursor!: string | null;
}
