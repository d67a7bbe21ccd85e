import { applyDecorators } from '@nestjs/common';
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { ValidateBy } from 'class-validator';
import { jsonSchemaPattern } from './json-schema-pattern';
import { IsOptionalNotNull } from './optional.decorator';

/**
 * An instant as RFC 3339 writes it, its offset included: `2026-12-05T13:40:00Z`,
 * `2026-12-05T14:40:00.123+01:00`. Every spelling of it is one JavaScript's `Date` reads as that
 * instant, on any machine: no date without a time, no time without an offset (which `Date` would
 * read in the server's zone), no week or ordinal dates (which it cannot read at all).
 * class-validator's `IsRFC3339` is not enough: it passes second 60 (an invalid `Date`) and
 * February 31 (which `Date` turns into March 3).
 */
export const DATE_TIME_REGEXP =
  /^(\d{4})-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])T(?:[01]\d|2[0-3]):[0-5]\d:[0-5]\d(?:\.\d+)?(?:Z|[+-](?:[01]\d|2[0-3]):[0-5]\d)$/;

/**
 * The schema of such an instant: `format: date-time` (which also checks the day exists in its
 * month, as `isDateTime` does) and the pattern of the spellings the service reads.
 */
export const DATE_TIME_SCHEMA = {
  type: 'string',
  format: 'date-time',
  pattern: jsonSchemaPattern(DATE_TIME_REGEXP),
} as const;

/** Whether `value` is an instant as `DATE_TIME_REGEXP` spells it, on a day its month has. */
export function isDateTime(value: unknown): boolean {
  if (typeof value !== 'string') return false;
  const match = DATE_TIME_REGEXP.exec(value);
  if (!match) return false;
  const [year, month, day] = [match[1], match[2], match[3]].map(Number);
  return day <= daysInMonth(year, month);
}

function daysInMonth(year: number, month: number): number {
  if (month === 2) return year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0) ? 29 : 28;
  return [4, 6, 9, 11].includes(month) ? 30 : 31;
}

/** A body field or query parameter holding an instant (see `DATE_TIME_REGEXP`). */
export const IsDateTime = (options: { optional?: boolean; description?: string } = {}) =>
  applyDecorators(
    ...(options.optional ? [IsOptionalNotNull()] : []),
    ValidateBy({
      name: 'isDateTime',
      validator: {
        validate: isDateTime,
        defaultMessage: (args) =>
          `${args?.property ?? 'field'} must be an RFC 3339 date-time with its offset, such as 2026-12-05T13:40:00Z`,
      },
    }),
    (options.optional ? ApiPropertyOptional : ApiProperty)({
      ...DATE_TIME_SCHEMA,
      example: '2026-12-05T13:40:00Z',
      ...(options.description ? { description: options.description } : {}),
    }),
  );
