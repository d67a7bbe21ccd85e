import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsString, Matches, MaxLength } from 'class-validator';
import { IsPageLimit } from '../../common/pagination/page-query.dto';
import { jsonSchemaPattern } from '../../common/validation/json-schema-pattern';
import { IsOptionalNotNull } from '../../common/validation/optional.decorator';
import { WEBHOOK_STATUSES, WebhookStatus } from '../entities/webhook-inbox.entity';

export const DEFAULT_PAGE_SIZE = 50;
const EVENT_TYPE = /^[a-z0-9_.]+$/;
const MAX_EVENT_TYPE_LENGTH = 255;
const CURSOR = /^[A-Za-z0-9_-]{1,400}$/;

export class ListWebhooksQueryDto {
  @IsOptionalNotNull()
  @IsIn(WEBHOOK_STATUSES)
  @ApiPropertyOptional({ enum: WEBHOOK_STATUSES })
  status?: WebhookStatus;

  @IsOptionalNotNull()
  @IsString()
  @Matches(EVENT_TYPE, { message: 'type must be a Stripe event type such as payment_intent.succeeded' })
  @MaxLength(MAX_EVENT_TYPE_LENGTH)
  @ApiPropertyOptional({
    type: 'string',
    pattern: jsonSchemaPattern(EVENT_TYPE),
    maxLength: MAX_EVENT_TYPE_LENGTH,
    example: 'payment_intent.succeeded',
  })
  type?: string;

  @IsPageLimit(DEFAULT_PAGE_SIZE)
  limit?: number;

  @IsOptionalNotNull()
  @IsString()
  @Matches(CURSOR, { message: 'cursor must be a nextCursor this route returned' })
  @ApiPropertyOptional({
    type: 'string',
    pattern: jsonSchemaPattern(CURSOR),
    description: 'The `nextCursor` of the previous page',
  })
  cursor?: string;
}
