import { applyDecorators, ParseUUIDPipe } from '@nestjs/common';
import { ApiParam, ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Matches } from 'class-validator';
import { jsonSchemaPattern } from './json-schema-pattern';
import { IsOptionalNotNull } from './optional.decorator';

/** Exposes the regex `ParseUUIDPipe` checks path ids with (`version: 'all'`, its default). */
class ParseUuidPattern extends ParseUUIDPipe {
  static readonly all: RegExp = ParseUuidPattern.uuidRegExps.all;
}

/** The path pipe's regex, so an id is judged alike in a path and in a body. */
export const UUID_REGEXP: RegExp = ParseUuidPattern.all;

export const UUID_SCHEMA = {
  type: 'string',
  format: 'uuid',
  pattern: jsonSchemaPattern(UUID_REGEXP),
} as const;

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

/** Documents a path parameter `ParseUUIDPipe` checks, which is a 400 `VALIDATION_FAILED` otherwise. */
export const ApiUuidParam = (name: string, description?: string) =>
  ApiParam({ name, required: true, schema: { ...UUID_SCHEMA }, ...(description ? { description } : {}) });
