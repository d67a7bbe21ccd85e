import { applyDecorators } from '@nestjs/common';
import { ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsInt, IsString, Matches, Max, Min } from 'class-validator';
import { IsDateTime } from '../validation/date-time';
import { jsonSchemaPattern } from '../validation/json-schema-pattern';
import { IsOptionalNotNull } from '../validation/optional.decorator';
import { CURSOR_PATTERN } from './keyset-cursor';

export const DEFAULT_PAGE_SIZE = 20;
export const MAX_PAGE_SIZE = 100;

/**
 * A page size, 1 to `MAX_PAGE_SIZE`. Applied in this order, `IsInt` is reported first: `limit=abc`
 * is told it must be an integer, not that it is over 100 (stacked decorators apply bottom-up).
 */
export const IsPageLimit = (defaultSize: number) =>
  applyDecorators(
    IsOptionalNotNull(),
    Type(() => Number),
    IsInt(),
    Min(1),
    Max(MAX_PAGE_SIZE),
    ApiPropertyOptional({ type: 'integer', minimum: 1, maximum: MAX_PAGE_SIZE, default: defaultSize }),
  );

export class PageQueryDto {
  @IsPageLimit(DEFAULT_PAGE_SIZE)
  limit?: number;

  @IsOptionalNotNull()
  @IsString()
  @Matches(CURSOR_PATTERN, { message: 'cursor must be a nextCursor this route returned' })
  @ApiPropertyOptional({
    type: 'string',
    pattern: jsonSchemaPattern(CURSOR_PATTERN),
    description: 'The `nextCursor` of the previous page',
  })
  cursor?: string;
}

export class CreatedRangeQueryDto extends PageQueryDto {
  @IsDateTime({ optional: true, description: 'Created at or after this instant' })
  createdFrom?: string;

  @IsDateTime({ optional: true, description: 'Created at or before this instant' })
  createdTo?: string;
}

export function createdRangeOf(query: CreatedRangeQueryDto): { createdFrom?: Date; createdTo?: Date } {
  return {
    createdFrom: query.createdFrom === undefined ? undefined : new Date(query.createdFrom),
    createdTo: query.createdTo === undefined ? undefined : new Date(query.createdTo),
  };
}
