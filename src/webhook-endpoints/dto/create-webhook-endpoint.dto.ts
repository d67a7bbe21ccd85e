import { applyDecorators } from '@nestjs/common';
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { ArrayMaxSize, ArrayMinSize, IsArray, IsIn, IsString, MaxLength } from 'class-validator';
import { IsOptionalNotNull } from '../../common/validation/optional.decorator';
import { IsSafeText } from '../../common/validation/safe-text.decorator';
import { EVENT_TYPE_PATTERNS, EventTypePattern } from '../../events';

export const URL_MAX_LENGTH = 2048;

/** Shared with the update DTO, so both apply the same rules. */
export const WebhookUrl = () => applyDecorators(IsString(), IsSafeText(), MaxLength(URL_MAX_LENGTH));
export const EnabledEvents = () =>
  applyDecorators(
    IsArray(),
    ArrayMinSize(1),
    ArrayMaxSize(EVENT_TYPE_PATTERNS.length),
    IsIn(EVENT_TYPE_PATTERNS, {
      each: true,
      message: `each of enabledEvents must be one of: ${EVENT_TYPE_PATTERNS.join(', ')}`,
    }),
  );
export const Description = () => applyDecorators(IsString(), IsSafeText(), MaxLength(500));

export class CreateWebhookEndpointDto {
  @WebhookUrl()
  @ApiProperty({
    maxLength: URL_MAX_LENGTH,
    example: 'https://example.com/webhooks',
    description:
      '`https` in production (`http` allowed elsewhere); its host must resolve to public addresses only, unless `OUTGOING_WEBHOOKS_ALLOW_PRIVATE_URLS=true`',
  })
  url!: string;

  @EnabledEvents()
  @ApiProperty({
    enum: EVENT_TYPE_PATTERNS,
    isArray: true,
    minItems: 1,
    maxItems: EVENT_TYPE_PATTERNS.length,
    description: 'Event types, every event of a kind (`payment.*`, `refund.*`), or everything (`*`)',
    example: ['payment.*', 'refund.failed'],
  })
  enabledEvents!: EventTypePattern[];

  @IsOptionalNotNull()
  @Description()
  @ApiPropertyOptional({ maxLength: 500, example: 'orders' })
  description?: string;
}
