import type { ReferenceObject, SchemaObject } from '@nestjs/swagger';
import { errorDetailsOf, errorStatusOf, registeredErrorCodes } from '../errors/error-codes';

const SCHEMAS = '#/components/schemas/';

/**
 * Each code has a schema of its own (`CARD_DECLINED` is `CardDeclinedError`); a status with several codes is
 * their `oneOf` discriminated by `code`, so a generated client narrows on `code` before reading `details`.
 */
export function errorSchemaName(code: string): string {
  const words = code.toLowerCase().split('_');
  return `${words.map((word) => word.charAt(0).toUpperCase() + word.slice(1)).join('')}Error`;
}

export function errorSchemaRef(code: string): ReferenceObject {
  return { $ref: `${SCHEMAS}${errorSchemaName(code)}` };
}

export function errorResponseSchema(codes: readonly string[]): SchemaObject | ReferenceObject {
  const sorted = [...new Set(codes)].sort();
  if (sorted.length === 1) return errorSchemaRef(sorted[0]);
  return {
    oneOf: sorted.map(errorSchemaRef),
    discriminator: {
      propertyName: 'code',
      mapping: Object.fromEntries(sorted.map((code) => [code, errorSchemaRef(code).$ref])),
    },
  };
}

export function codesOfErrorSchema(schema: SchemaObject | ReferenceObject | undefined): string[] {
  if (!schema) return [];
  const byName = new Map(registeredErrorCodes().map((code) => [errorSchemaName(code), code]));
  const refs = '$ref' in schema ? [schema] : ((schema.oneOf ?? []) as ReferenceObject[]);
  return refs
    .map(({ $ref }) => ($ref?.startsWith(SCHEMAS) ? byName.get($ref.slice(SCHEMAS.length)) : undefined))
    .filter((code): code is string => code !== undefined);
}

export function errorBodySchema(code: string): SchemaObject {
  const status = errorStatusOf(code);
  const details = errorDetailsOf(code);
  return {
    type: 'object',
    properties: {
      statusCode: { type: 'integer', enum: [status], description: 'The HTTP status, repeated' },
      code: { type: 'string', enum: [code], description: 'Stable; clients branch on it' },
      message: { type: 'string', description: 'For people; may change between releases' },
      ...(details ? { details: details.schema } : {}),
    },
    required: ['statusCode', 'code', 'message', ...(details?.always ? ['details'] : [])],
  };
}
