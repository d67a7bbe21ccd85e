import { ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsIn, IsInt, IsISO8601, IsString, IsUUID, Matches, Max, Min } from 'class-validator';
import { CURSOR_PATTERN } from '../../common/pagination/keyset-cursor';
import { IsOptionalNotNull } from '../../common/validation/optional.decorator';
import { EVENT_TYPES, EventType } from '../event-types';

export const DEFAULT_EVENT_PAGE_SIZE = 20;

export class ListEventsQueryDto {
  @IsOptionalNotNull()
  @IsIn(EVENT_TYPES)
  @ApiPropertyOptional({ enum: EVENT_TYPES })
  type?: EventType;

  @IsOptionalNotNull()
  @IsUUID()
  @ApiPropertyOptional({ format: 'uuid', description: 'Events of this payment and of its refunds' })
  paymentId?: string;

  @IsOptionalNotNull()
  @IsISO8601({ strict: true })
  @ApiPropertyOptional({ format: 'date-time', description: 'Events created at or after this instant' })
  createdFrom?: string;

  @IsOptionalNotNull()
  @IsISO8601({ strict: true })
  @ApiPropertyOptional({ format: 'date-time', description: 'Events created at or before this instant' })
  createdTo?: string;

  @IsOptionalNotNull()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(100)
  @ApiPropertyOptional({ minimum: 1, maximum: 100, default: DEFAULT_EVENT_PAGE_SIZE })
  limit?: number;

  @IsOptionalNotNull()
  @IsString()
  @Matches(CURSOR_PATTERN, { message: 'cursor must be a nextCursor this route returned' })
  @ApiPropertyOptional({ description: 'The `nextCursor` of the previous page' })
  cursor?: string;
}
