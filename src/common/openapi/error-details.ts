import type { SchemaObject } from '@nestjs/swagger';

/** Declared beside the exception's code → status map (`moduleException`), so clients read `details` typed. */
export interface ErrorDetails {
  schema: SchemaObject;
  /** False when some answers with the code carry no `details` at all. */
  always: boolean;
}

export type DocumentedDetails = Readonly<Record<string, ErrorDetails>>;

/** `required` lists the properties every answer carries; `description` says when the others appear. */
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

export function fieldDetail(field: string): SchemaObject {
  return { type: 'string', enum: [field], description: 'The request field this error is about' };
}
