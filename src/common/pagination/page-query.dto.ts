import { ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsInt, IsISO8601, IsString, Matches, Max, Min } from 'class-validator';
import { IsOptionalNotNull } from '../validation/optional.decorator';
import { CURSOR_PATTERN } from './keyset-cursor';

export const DEFAULT_PAGE_SIZE = 20;

/** `limit` (1–100) and `cursor` of a keyset-paginated list; a list's query DTO extends it with its filters. */
export class PageQueryDto {
  @IsOptionalNotNull()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(100)
  @ApiPropertyOptional({ minimum: 1, maximum: 100, default: DEFAULT_PAGE_SIZE })
  limit?: number;

  @IsOptionalNotNull()
  @IsString()
  @Matches(CURSOR_PATTERN, { message: 'cursor must be a nextCursor this route returned' })
  @ApiPropertyOptional({ description: 'The `nextCursor` of the previous page' })
  cursor?: string;
}

/** A page of a list filtered by creation time, both bounds inclusive. */
export class CreatedRangeQueryDto extends PageQueryDto {
  @IsOptionalNotNull()
  @IsISO8601({ strict: true })
  @ApiPropertyOptional({ format: 'date-time', description: 'Created at or after this instant' })
  createdFrom?: string;

  @IsOptionalNotNull()
  @IsISO8601({ strict: true })
  @ApiPropertyOptional({ format: 'date-time', description: 'Created at or before this instant' })
  createdTo?: string;
}

/** The range a query asked for, as instants. */
export function createdRangeOf(query: CreatedRangeQueryDto): { createdFrom?: Date; createdTo?: Date } {
  return {
    createdFrom: query.createdFrom === undefined ? undefined : new Date(query.createdFrom),
    createdTo: query.createdTo === undefined ? undefined : new Date(query.createdTo),
  };
}
