import { ApiProperty, ApiPropertyOptional, getSchemaPath } from '@nestjs/swagger';
import { CAUSE_KINDS, CauseKind, EVENT_TYPES, EventType, TenantEvent } from '../event-types';

export class EventCauseDto {
  @ApiProperty({
    enum: CAUSE_KINDS,
    description:
      '`request`: a request of this API; `stripe_event`: a Stripe event; `reconciliation`: the reconciliation job; `delivery_failures`: the service disabled an endpoint',
  })
  kind!: CauseKind;
  @ApiPropertyOptional({ description: 'The request’s `X-Request-Id`' }) requestId?: string;
  @ApiPropertyOptional({ format: 'uuid', description: 'The request’s `Idempotency-Key`' })
  idempotencyKey?: string;
  @ApiPropertyOptional({ example: 'evt_123', description: 'The Stripe event’s id' }) stripeEventId?: string;
}

export class EventDataDto {
  @ApiProperty({
    description:
      'The payment (`payment.*`), refund (`refund.*`) or endpoint (`webhook_endpoint.*`) as its own `GET` returned it right after the change',
    oneOf: [
      { $ref: getSchemaPath('PaymentResponseDto') },
      { $ref: getSchemaPath('RefundResponseDto') },
      { $ref: getSchemaPath('WebhookEndpointResponseDto') },
    ],
  })
  object!: Record<string, unknown>;

  @ApiProperty({
    nullable: true,
    type: String,
    description: 'Its status before the change; null when the change created it',
    example: 'processing',
  })
  previousStatus!: string | null;
}

/** `GET /events/:id` returns the body of the event's webhook deliveries, byte for byte. */
export class EventResponseDto {
  @ApiProperty({
    format: 'uuid',
    description: 'Also the `webhook-id` of its deliveries',
    example: '5b0f1f0e-8d8e-4f7a-9a57-0f3c1e2b4d61',
  })
  id!: string;
  @ApiProperty({ enum: EVENT_TYPES, example: 'payment.succeeded' }) type!: EventType;
  @ApiProperty({ format: 'date-time', example: '2026-12-05T13:40:00.123Z' }) createdAt!: string;
  @ApiProperty({
    type: 'integer',
    minimum: 1,
    description:
      'Strictly increasing per payment, across the payment’s and its refunds’ events (per tenant for events of no payment): order by it, not by arrival',
    example: 3,
  })
  sequence!: number;
  @ApiProperty({ type: EventDataDto }) data!: EventDataDto;
  @ApiProperty({ type: EventCauseDto }) cause!: EventCauseDto;

  static from(event: TenantEvent): EventResponseDto {
    return {
      id: event.id,
      type: event.type,
      createdAt: event.createdAt,
      sequence: event.sequence,
      data: { object: event.data.object, previousStatus: event.data.previousStatus },
      cause: event.cause,
    };
  }
}

export class EventPageDto {
  @ApiProperty({ type: [EventResponseDto] }) data!: EventResponseDto[];
  @ApiProperty({
    nullable: true,
    type: String,
    description: 'Pass as `cursor` for the next page; null on the last',
  })
  nextCursor!: string | null;
}
