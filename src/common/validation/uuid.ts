import { applyDecorators, ParseUUIDPipe } from '@nestjs/common';
import { ApiParam, ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Matches } from 'class-validator';
import { jsonSchemaPattern } from './json-schema-pattern';
import { IsOptionalNotNull } from './optional.decorator';

/** Reads the regex Nest's `ParseUUIDPipe` checks path ids with (`version: 'all'`, its default). */
class ParseUuidPattern extends ParseUUIDPipe {
  static readonly all: RegExp = ParseUuidPattern.uuidRegExps.all;
}

/**
 * A UUID as every id check accepts it: the path pipe's own regex (versions 1–8, nil and max, any
 * letter case), so an id is judged alike in a path and in a body.
 */
export const UUID_REGEXP: RegExp = ParseUuidPattern.all;

/** The schema of a UUID id: the format, and the pattern the service checks. */
export const UUID_SCHEMA = {
  type: 'string',
  format: 'uuid',
  pattern: jsonSchemaPattern(UUID_REGEXP),
} as const;

/** A body field holding one of the service's ids (a UUID). */
export const IsUuid = (options: { optional?: boolean; description?: string } = {}) =>
  applyDecorators(
    ...(options.optional ? [IsOptionalNotNull()] : []),
    Matches(UUID_REGEXP, { message: '$property must be a UUID' }),
    (options.optional ? ApiPropertyOptional : ApiProperty)({
      ...UUID_SCHEMA,
      example: '6f1c2a4e-8a0b-4c5d-9e2f-1a2b3c4d5e6f',
      ...(options.description ? { description: options.description } : {}),
    }),
  );

/** Documents a path parameter that `ParseUUIDPipe` checks: a 400 `VALIDATION_FAILED` otherwise. */
export const ApiUuidParam = (name: string, description?: string) =>
  ApiParam({ name, required: true, schema: { ...UUID_SCHEMA }, ...(description ? { description } : {}) });
