import type {
  OpenAPIObject,
  OperationObject,
  ReferenceObject,
  ResponseObject,
  SchemaObject,
} from '@nestjs/swagger';
import { CommonErrorCode } from '../errors/common.exception';
import { errorStatusOf, registeredErrorCodes } from '../errors/error-codes';
import { codesOfErrorSchema, errorBodySchema, errorResponseSchema, errorSchemaName } from './error-schemas';

const METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'] as const;

export interface DocumentRulesOptions {
  /** First path segments a `WORKER_MODE=worker` process still serves (`health`, `metrics`). */
  workerRoutes: ReadonlySet<string>;
  /** The requests the service sends (OpenAPI 3.1 `webhooks`), by name. */
  webhooks?: OpenAPIObject['webhooks'];
}

/** Adds to the document what the service does on every route but no route's decorators say. */
export function applyDocumentRules(document: OpenAPIObject, options: DocumentRulesOptions): OpenAPIObject {
  for (const [path, operation] of operationsOf(document)) {
    addTransportErrors(operation, path, options);
    // Every guarded route documents the bearer scheme (ApiAuthenticated, AdminOnly): one without is public.
    operation.security ??= [];
  }
  addErrorSchemas(document);
  closeRequestSchemas(document);
  if (options.webhooks) document.webhooks = options.webhooks;
  return toOpenApi31(document);
}

export function operationsOf(document: OpenAPIObject): Array<[string, OperationObject, string]> {
  return Object.entries(document.paths).flatMap(([path, item]) =>
    METHODS.filter((method) => item[method]).map(
      (method) => [path, item[method] as OperationObject, method] as [string, OperationObject, string],
    ),
  );
}

/**
 * Node's HTTP parser answers these before any route runs (400, 408, 431), as the error body through
 * `answerClientErrorAsJson`. A worker process also answers `ROUTE_NOT_FOUND` on all but operational routes.
 */
const BEFORE_ANY_ROUTE: readonly string[] = [
  CommonErrorCode.MALFORMED_REQUEST,
  CommonErrorCode.REQUEST_TIMEOUT,
  CommonErrorCode.HEADERS_TOO_LARGE,
];

function addTransportErrors(operation: OperationObject, path: string, options: DocumentRulesOptions): void {
  const codes = [...BEFORE_ANY_ROUTE];
  const segment = path.split('/')[1] ?? '';
  if (!options.workerRoutes.has(segment)) codes.push(CommonErrorCode.ROUTE_NOT_FOUND);
  for (const code of codes) {
    const status = String(errorStatusOf(code));
    const existing = operation.responses[status] as ResponseObject | undefined;
    const schema = existing?.content?.['application/json']?.schema;
    const all = [...codesOfErrorSchema(schema), code].sort();
    operation.responses[status] = {
      ...existing,
      description: [...new Set(all)].join(' | '),
      content: { 'application/json': { schema: errorResponseSchema(all) } },
    };
  }
}

function addErrorSchemas(document: OpenAPIObject): void {
  const schemas = (document.components ??= {}).schemas ?? {};
  const named = new Set(
    operationsOf(document).flatMap(([, operation]) =>
      Object.values(operation.responses).flatMap((response) =>
        codesOfErrorSchema((response as ResponseObject).content?.['application/json']?.schema),
      ),
    ),
  );
  for (const code of registeredErrorCodes()) {
    if (named.has(code)) schemas[errorSchemaName(code)] = errorBodySchema(code);
  }
  document.components.schemas = schemas;
}

/** `StrictValidationPipe` refuses keys a body's DTO does not declare, so request body schemas are closed. */
function closeRequestSchemas(document: OpenAPIObject): void {
  const schemas = document.components?.schemas ?? {};
  for (const [, operation] of operationsOf(document)) {
    const body = operation.requestBody as
      { content?: Record<string, { schema?: ReferenceObject }> } | undefined;
    for (const media of Object.values(body?.content ?? {})) {
      const name = media.schema?.$ref?.split('/').pop();
      const schema = name ? (schemas[name] as SchemaObject | undefined) : undefined;
      if (schema) schema.additionalProperties = false;
    }
  }
}

/**
 * 3.1, whose schemas are JSON Schema 2020-12 (`propertyNames` for metadata keys; validators read them as
 * they are). Nest writes 3.0's `nullable`, which 3.1 spells `type: [..., "null"]`.
 */
function toOpenApi31(document: OpenAPIObject): OpenAPIObject {
  const pending: unknown[] = [document];
  while (pending.length > 0) {
    const node = pending.pop();
    if (typeof node !== 'object' || node === null) continue;
    const schema = node as SchemaObject & Record<string, unknown>;
    if (schema.nullable === true) {
      delete schema.nullable;
      if (typeof schema.type === 'string') schema.type = [schema.type, 'null'];
      if (Array.isArray(schema.enum)) schema.enum = [...(schema.enum as unknown[]), null];
    }
    pending.push(...(Object.values(node) as unknown[]));
  }
  return { ...document, openapi: '3.1.0' };
}
