import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsBoolean } from 'class-validator';
import { IsOptionalNotNull } from '../../common/validation/optional.decorator';
import { EVENT_TYPE_PATTERNS, EventTypePattern } from '../../events';
import { Description, EnabledEvents, URL_MAX_LENGTH, WebhookUrl } from './create-webhook-endpoint.dto';

export class UpdateWebhookEndpointDto {
  @IsOptionalNotNull()
  @WebhookUrl()
  @ApiPropertyOptional({
    maxLength: URL_MAX_LENGTH,
    description: 'Checked as on creation',
    example: 'https://example.com/webhooks/v2',
  })
  url?: string;

  @IsOptionalNotNull()
  @EnabledEvents()
  @ApiPropertyOptional({
    enum: EVENT_TYPE_PATTERNS,
    isArray: true,
    minItems: 1,
    maxItems: EVENT_TYPE_PATTERNS.length,
    description: 'As on creation; replaces the list',
    example: ['*'],
  })
  enabledEvents?: EventTypePattern[];

  @IsOptionalNotNull()
  @Description()
  @ApiPropertyOptional({ maxLength: 500, description: 'An empty string clears it' })
  description?: string;

  @IsOptionalNotNull()
  @IsBoolean()
  @ApiPropertyOptional({
    description:
      '`true` stops deliveries (those pending fail; `recover` brings them back); `false` enables the endpoint again and gives it 5 days of failures anew',
  })
  disabled?: boolean;
}
