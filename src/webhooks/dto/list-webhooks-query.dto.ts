import { ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsIn, IsInt, IsString, Matches, Max, MaxLength, Min } from 'class-validator';
import { IsOptionalNotNull } from '../../common/validation/optional.decorator';
import { WEBHOOK_STATUSES, WebhookStatus } from '../entities/webhook-inbox.entity';

export const DEFAULT_PAGE_SIZE = 50;

export class ListWebhooksQueryDto {
  @IsOptionalNotNull()
  @IsIn(WEBHOOK_STATUSES)
  @ApiPropertyOptional({ enum: WEBHOOK_STATUSES })
  status?: WebhookStatus;

  @IsOptionalNotNull()
  @IsString()
  @Matches(/^[a-z0-9_.]+$/, { message: 'type must be a Stripe event type such as payment_intent.succeeded' })
  @MaxLength(255)
  @ApiPropertyOptional({ example: 'payment_intent.succeeded' })
  type?: string;

  @IsOptionalNotNull()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(100)
  @ApiPropertyOptional({ minimum: 1, maximum: 100, default: DEFAULT_PAGE_SIZE })
  limit?: number;

  @IsOptionalNotNull()
  @IsString()
  @Matches(/^[A-Za-z0-9_-]{1,400}$/, { message: 'cursor must be a nextCursor this route returned' })
  @ApiPropertyOptional({ description: 'The `nextCursor` of the previous page' })
  cursor?: string;
}
