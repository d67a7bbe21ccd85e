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
}

/**
 * What the service does to every route, which no route's decorators say: applied to the
 * document Nest builds from the decorators, so the document says what the service does.
 */
export function applyDocumentRules(document: OpenAPIObject, options: DocumentRulesOptions): OpenAPIObject {
  for (const [path, operation] of operationsOf(document)) {
    addTransportErrors(operation, path, options);
    // The global guard authenticates every route but the @Public() ones, and every guarded
    // route documents the bearer scheme (ApiAuthenticated, AdminOnly): what has none is public.
    operation.security ??= [];
  }
  addErrorSchemas(document);
  closeRequestSchemas(document);
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
 * Answers given before any route runs, so any route may get them: Node's HTTP parser refuses a
 * malformed request (400), headers over its limit (431) or a request not received in time
 * (408), answered as the error body by `answerClientErrorAsJson`. A worker process answers
 * `ROUTE_NOT_FOUND` on every route but the operational ones.
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

/** The component schema of every error code a response names. */
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

/**
 * `StrictValidationPipe`, the global pipe, refuses any key a body's DTO does not declare: every
 * schema a request body names is closed, as the pipe holds it.
 */
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
 * OpenAPI 3.1, whose schemas are JSON Schema (2020-12): `propertyNames` for metadata keys, and
 * validators read the document's schemas as they are. Nest writes 3.0's `nullable`; 3.1 says
 * `type: [..., "null"]`.
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
