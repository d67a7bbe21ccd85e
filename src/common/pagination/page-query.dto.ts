import { ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsInt, IsString, Matches, Max, Min } from 'class-validator';
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
