import { ApiProperty } from '@nestjs/swagger';
import { EVENT_TYPE_PATTERNS } from '../../events';
import { DISABLED_REASONS, DisabledReason, WebhookEndpoint } from '../webhook-endpoint.repository';

/** Mapped field by field, so that no row column (the secrets) reaches the API. */
export class WebhookEndpointResponseDto {
  @ApiProperty({ format: 'uuid', example: '0b6c3f4e-2a1d-4e5f-8a9b-1c2d3e4f5a6b' }) id!: string;
  @ApiProperty({ example: 'https://example.com/webhooks' }) url!: string;
  @ApiProperty({ nullable: true, type: String, example: 'orders' }) description!: string | null;
  @ApiProperty({ enum: EVENT_TYPE_PATTERNS, isArray: true, example: ['payment.*', 'refund.failed'] })
  enabledEvents!: string[];
  @ApiProperty({ enum: ['enabled', 'disabled'] }) status!: 'enabled' | 'disabled';
  @ApiProperty({
    enum: DISABLED_REASONS,
    nullable: true,
    description:
      '`manual`: disabled by `PATCH {disabled: true}`; `failing`: disabled by the service after 5 days of failed deliveries',
  })
  disabledReason!: DisabledReason | null;
  @ApiProperty({ nullable: true, type: String, format: 'date-time' }) disabledAt!: string | null;
  @ApiProperty({ format: 'date-time' }) createdAt!: string;
  @ApiProperty({ format: 'date-time' }) updatedAt!: string;

  static from(endpoint: WebhookEndpoint): WebhookEndpointResponseDto {
    return {
      id: endpoint.id,
      url: endpoint.url,
      description: endpoint.description,
      enabledEvents: endpoint.enabledEvents,
      status: endpoint.disabledAt ? 'disabled' : 'enabled',
      disabledReason: endpoint.disabledReason,
      disabledAt: endpoint.disabledAt?.toISOString() ?? null,
      createdAt: endpoint.createdAt.toISOString(),
      updatedAt: endpoint.updatedAt.toISOString(),
    };
  }
}

/** The secret is shown only on creation and rotation (and their idempotent replays). */
export class WebhookEndpointWithSecretDto extends WebhookEndpointResponseDto {
  @ApiProperty({
    example: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw',
    description:
      'The signing secret (Standard Webhooks): shown only in this answer (and its idempotent replays). Verify deliveries with it.',
  })
  secret!: string;

  static withSecret(endpoint: WebhookEndpoint, secret: string): WebhookEndpointWithSecretDto {
    return { ...WebhookEndpointResponseDto.from(endpoint), secret };
  }
}

export class RotatedWebhookEndpointDto extends WebhookEndpointWithSecretDto {
  @ApiProperty({
    format: 'date-time',
    description: 'Until then the previous secret signs too: each delivery carries one signature per secret',
  })
  previousSecretExpiresAt!: string;
}

export class WebhookEndpointListDto {
  @ApiProperty({ type: [WebhookEndpointResponseDto] }) data!: WebhookEndpointResponseDto[];
}
