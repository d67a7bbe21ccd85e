import type { SchemaObject } from '@nestjs/swagger';

/**
 * What an error code carries in `details`, for the API document: the exception that throws the
 * code declares it beside its code → status map (`moduleException`), so a client reads
 * `details.paymentId` of `CARD_DECLINED` typed, without a cast.
 */
export interface ErrorDetails {
  /** The `details` object. */
  schema: SchemaObject;
  /** False when some answers with the code carry no `details` at all. */
  always: boolean;
}

export type DocumentedDetails = Readonly<Record<string, ErrorDetails>>;

/**
 * A closed `details` object: `required` lists the properties every answer carries, the others
 * only some do (`description` says which).
 */
export function errorDetails(
  properties: Record<string, SchemaObject>,
  options: { required?: readonly string[]; always?: boolean; description?: string } = {},
): ErrorDetails {
  return {
    always: options.always ?? true,
    schema: {
      type: 'object',
      ...(options.description ? { description: options.description } : {}),
      properties,
      ...(options.required && options.required.length > 0 ? { required: [...options.required] } : {}),
      additionalProperties: false,
    },
  };
}

/** `details.field`: the request field an error is about. */
export function fieldDetail(field: string): SchemaObject {
  return { type: 'string', enum: [field], description: 'The request field this error is about' };
}
