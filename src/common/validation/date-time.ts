import { applyDecorators } from '@nestjs/common';
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { ValidateBy } from 'class-validator';
import { jsonSchemaPattern } from './json-schema-pattern';
import { IsOptionalNotNull } from './optional.decorator';

/**
 * RFC 3339 with an offset, so `Date` reads every accepted spelling as the same instant on any machine.
 * class-validator's `IsRFC3339` passes second 60 and February 31, which `Date` misreads.
 */
export const DATE_TIME_REGEXP =
  /^(\d{4})-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])T(?:[01]\d|2[0-3]):[0-5]\d:[0-5]\d(?:\.\d+)?(?:Z|[+-](?:[01]\d|2[0-3]):[0-5]\d)$/;

/** `format: date-time` also checks that the day exists in its month, as `isDateTime` does. */
export const DATE_TIME_SCHEMA = {
  type: 'string',
  format: 'date-time',
  pattern: jsonSchemaPattern(DATE_TIME_REGEXP),
} as const;

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
