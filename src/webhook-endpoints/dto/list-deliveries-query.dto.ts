import { ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsIn, IsInt, IsString, Matches, Max, Min } from 'class-validator';
import { CURSOR_PATTERN } from '../../common/pagination/keyset-cursor';
import { IsOptionalNotNull } from '../../common/validation/optional.decorator';
import { DELIVERY_STATUSES, DeliveryStatus } from '../webhook-delivery.repository';

export const DEFAULT_DELIVERY_PAGE_SIZE = 20;

export class ListDeliveriesQueryDto {
  @IsOptionalNotNull()
  @IsIn(DELIVERY_STATUSES)
  @ApiPropertyOptional({ enum: DELIVERY_STATUSES })
  status?: DeliveryStatus;

  @IsOptionalNotNull()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(100)
  @ApiPropertyOptional({ minimum: 1, maximum: 100, default: DEFAULT_DELIVERY_PAGE_SIZE })
  limit?: number;

  @IsOptionalNotNull()
  @IsString()
  @Matches(CURSOR_PATTERN, { message: 'cursor must be a nextCursor this route returned' })
  @ApiPropertyOptional({ description: 'The `nextCursor` of the previous page' })
  cursor?: string;
}
