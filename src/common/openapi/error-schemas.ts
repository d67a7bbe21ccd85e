import type { ReferenceObject, SchemaObject } from '@nestjs/swagger';
import { errorDetailsOf, errorStatusOf, registeredErrorCodes } from '../errors/error-codes';

const SCHEMAS = '#/components/schemas/';

/**
 * Each error code is a schema of its own in the API document (`CARD_DECLINED` is
 * `CardDeclinedError`): `statusCode` and `code` fixed, `details` typed as the code's exception
 * declares it. A response of one status is one code's schema, or several discriminated by
 * `code`, so a generated client narrows on `code` and reads `details` without a cast.
 */
export function errorSchemaName(code: string): string {
  const words = code.toLowerCase().split('_');
  return `${words.map((word) => word.charAt(0).toUpperCase() + word.slice(1)).join('')}Error`;
}

export function errorSchemaRef(code: string): ReferenceObject {
  return { $ref: `${SCHEMAS}${errorSchemaName(code)}` };
}

/** The schema of a response whose body is one of `codes` (all of one status). */
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

/** The codes a schema written by `errorResponseSchema` stands for; none for any other schema. */
export function codesOfErrorSchema(schema: SchemaObject | ReferenceObject | undefined): string[] {
  if (!schema) return [];
  const byName = new Map(registeredErrorCodes().map((code) => [errorSchemaName(code), code]));
  const refs = '$ref' in schema ? [schema] : ((schema.oneOf ?? []) as ReferenceObject[]);
  return refs
    .map(({ $ref }) => ($ref?.startsWith(SCHEMAS) ? byName.get($ref.slice(SCHEMAS.length)) : undefined))
    .filter((code): code is string => code !== undefined);
}

/** The component schema of one code's error body. */
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
