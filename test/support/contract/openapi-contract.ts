import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type {
  HeaderObject,
  OpenAPIObject,
  OperationObject,
  ParameterObject,
  ReferenceObject,
  ResponseObject,
  SchemaObject,
} from '@nestjs/swagger';
// Ajv: the JSON Schema validator most of the ecosystem runs on, kept up to date. An OpenAPI 3.1
// document's schemas are JSON Schema 2020-12 as they stand, so Ajv's 2020 dialect reads them
// without a converter; the OpenAPI-only keywords (`discriminator`, `example`) are annotations.
// The OpenAPI response-validator packages built for Jest read 3.0 only and are no longer kept.
import Ajv2020, { type ValidateFunction } from 'ajv/dist/2020';
import addFormats from 'ajv-formats';
import { OPENAPI_DOCUMENT_PATH } from '../../../src/common/openapi/openapi-document';

/** A response as a test received it. */
export interface ObservedResponse {
  method: string;
  /** The path as sent, query string included. */
  url: string;
  status: number;
  headers: Record<string, string | string[] | undefined>;
  /** The body as text, as it came over the wire. */
  text: string;
}

export class ContractViolation extends Error {
  override name = 'ContractViolation';
}

const COMPONENTS_ID = 'urn:payment-service:openapi-components';
const METHODS = ['get', 'put', 'post', 'delete', 'patch'] as const;

interface Operation {
  method: string;
  template: string;
  pattern: RegExp;
  literalSegments: number;
  operation: OperationObject;
}

/**
 * Checks responses against `docs/openapi.json`: the status must be one the operation lists, the
 * body one of its media types and valid against its schema, every header the document names
 * anywhere (`Location`, `Retry-After`, …) documented where it is sent, and every required one
 * sent. Bodies are held closed here (an object schema without `additionalProperties` takes no
 * other property), so a field the service sends and the document omits fails too; the published
 * document leaves them open, so clients may take fields added later.
 */
export class OpenApiContract {
  private static loaded?: OpenApiContract;
  private readonly operations: Operation[];
  private readonly contractHeaders: Set<string>;
  private readonly ajv: Ajv2020;
  private readonly validators = new Map<string, ValidateFunction>();

  static load(): OpenApiContract {
    OpenApiContract.loaded ??= new OpenApiContract(
      JSON.parse(
        readFileSync(resolve(__dirname, '../../..', OPENAPI_DOCUMENT_PATH), 'utf8'),
      ) as OpenAPIObject,
    );
    return OpenApiContract.loaded;
  }

  constructor(readonly document: OpenAPIObject) {
    this.operations = Object.entries(document.paths)
      .flatMap(([template, item]) =>
        METHODS.filter((method) => item[method]).map((method) => ({
          method,
          template,
          // As the router matches: any letter case, a trailing slash ignored.
          pattern: new RegExp(`^${template.replace(/\{[^}]+\}/g, '[^/]+')}/?$`, 'i'),
          literalSegments: template.split('/').filter((segment) => segment && !segment.startsWith('{'))
            .length,
          operation: item[method] as OperationObject,
        })),
      )
      .sort((a, b) => b.literalSegments - a.literalSegments);
    this.contractHeaders = new Set(
      this.operations.flatMap(({ operation }) =>
        Object.values(operation.responses).flatMap((response) =>
          response
            ? Object.keys(this.resolve<ResponseObject>(response).headers ?? {}).map((name) =>
                name.toLowerCase(),
              )
            : [],
        ),
      ),
    );
    this.ajv = new Ajv2020({ strict: true, allErrors: true });
    addFormats(this.ajv);
    this.ajv.addKeyword({ keyword: 'example' });
    this.ajv.addKeyword({ keyword: 'discriminator' });
    const schemas = closed(relocated(document.components?.schemas ?? {}));
    this.ajv.addSchema({ $id: COMPONENTS_ID, $defs: schemas });
  }

  /** The documented operation `method url` reaches, if any. */
  operationFor(method: string, url: string): { template: string; operation: OperationObject } | undefined {
    const path = url.split('?', 1)[0];
    return this.operations.find(
      (candidate) => candidate.method === method.toLowerCase() && candidate.pattern.test(path),
    );
  }

  /** Throws a ContractViolation naming every way the response departs from the document. */
  check(observed: ObservedResponse): void {
    const found = this.operationFor(observed.method, observed.url);
    // A route the document does not list is one of the tests' own probes: the OpenAPI test
    // proves the document lists every route the service has.
    if (!found) return;
    const { operation, template } = found;
    const name = `${operation.operationId ?? ''} (${observed.method.toUpperCase()} ${template})`;
    const listed =
      operation.responses[String(observed.status)] ?? operation.responses[`${String(observed.status)[0]}XX`];
    if (!listed) {
      throw new ContractViolation(
        `${name} answered ${observed.status}, which the document does not list (it lists ${Object.keys(operation.responses).join(', ')}): ${observed.text.slice(0, 300)}`,
      );
    }
    const response = this.resolve<ResponseObject>(listed);
    this.checkHeaders(name, observed, response);
    const media = observed.headers['content-type']?.toString().split(';', 1)[0].trim().toLowerCase();
    const content = response.content ?? {};
    if (Object.keys(content).length === 0) {
      if (observed.text.length > 0) {
        throw new ContractViolation(`${name} ${observed.status} sent a body the document does not describe`);
      }
      return;
    }
    const documented = media ? content[media] : undefined;
    if (!documented) {
      throw new ContractViolation(
        `${name} ${observed.status} sent ${media ?? 'no content type'}; the document lists ${Object.keys(content).join(', ')}`,
      );
    }
    if (documented.schema)
      this.checkBody(
        `${name} ${observed.status}`,
        `${name} ${observed.status} ${media}`,
        documented.schema,
        observed,
      );
  }

  /**
   * Throws a ContractViolation naming every way a request the service sent (a webhook the
   * document lists under `webhooks`) departs from it: a required header missing or not as its
   * schema says, or a body not as its request body schema says.
   */
  checkWebhook(
    name: string,
    request: { headers: Record<string, string | string[] | undefined>; text: string },
  ): void {
    const operation = this.document.webhooks?.[name]?.post;
    if (!operation) throw new ContractViolation(`the document lists no webhook ${name}`);
    const label = `webhook ${name}`;
    const problems: string[] = [];
    for (const parameter of (operation.parameters ?? []).map((p) => this.resolve<ParameterObject>(p))) {
      if (parameter.in !== 'header') continue;
      const value = request.headers[parameter.name.toLowerCase()];
      if (value === undefined) {
        if (parameter.required) problems.push(`did not send ${parameter.name}`);
        continue;
      }
      const validate = this.validator(`${label} header ${parameter.name}`, parameter.schema ?? {});
      if (!validate(String(value)))
        problems.push(`sent ${parameter.name}: ${String(value)}, not as documented`);
    }
    if (problems.length > 0) throw new ContractViolation(`${label} ${problems.join('; ')}`);
    const schema = this.resolve(operation.requestBody ?? { content: {} }).content['application/json']?.schema;
    if (!schema) throw new ContractViolation(`${label} documents no JSON body`);
    this.checkBody(label, `${label} body`, schema, { method: 'post', url: name, status: 0, ...request });
  }

  private checkHeaders(name: string, observed: ObservedResponse, response: ResponseObject): void {
    const documented = new Map(
      Object.entries(response.headers ?? {}).map(([header, value]) => [
        header.toLowerCase(),
        this.resolve<HeaderObject>(value),
      ]),
    );
    const problems: string[] = [];
    for (const header of this.contractHeaders) {
      const value = observed.headers[header];
      const spec = documented.get(header);
      if (value !== undefined && !spec)
        problems.push(`sent ${header}, which this response does not document`);
      if (value === undefined && spec?.required)
        problems.push(`did not send ${header}, which it documents as required`);
      if (value !== undefined && spec?.schema) {
        const validate = this.validator(`${name} header ${header}`, spec.schema);
        const parsed = headerValue(String(value), spec.schema as SchemaObject);
        if (!validate(parsed))
          problems.push(
            `sent ${header}: ${String(value)}, not as documented (${this.ajv.errorsText(validate.errors)})`,
          );
      }
    }
    if (problems.length > 0) {
      throw new ContractViolation(`${name} ${observed.status} ${problems.join('; ')}`);
    }
  }

  private checkBody(
    name: string,
    key: string,
    schema: SchemaObject | ReferenceObject,
    observed: ObservedResponse,
  ): void {
    const media = observed.headers['content-type']?.toString() ?? '';
    let body: unknown = observed.text;
    if (/json/i.test(media)) {
      try {
        body = JSON.parse(observed.text);
      } catch {
        throw new ContractViolation(`${name} sent ${media} that is not JSON: ${observed.text.slice(0, 200)}`);
      }
    }
    const validate = this.validator(key, schema);
    if (!validate(body)) {
      throw new ContractViolation(
        `${name}: the body is not as documented: ${this.ajv.errorsText(validate.errors, { separator: '; ' })}\n${observed.text.slice(0, 500)}`,
      );
    }
  }

  private validator(key: string, schema: SchemaObject | ReferenceObject): ValidateFunction {
    let validate = this.validators.get(key);
    if (!validate) {
      validate = this.ajv.compile(closed<object>(relocated(schema)));
      this.validators.set(key, validate);
    }
    return validate;
  }

  private resolve<T>(value: T | ReferenceObject): T {
    if (typeof value !== 'object' || value === null || !('$ref' in value)) return value;
    const [, ...path] = value.$ref.split('/');
    return path.reduce<unknown>((node, key) => (node as Record<string, unknown>)[key], this.document) as T;
  }
}

/** Refs into the document's components, pointed at the schema Ajv holds them in. */
function relocated<T>(schema: T): T {
  return JSON.parse(
    JSON.stringify(schema).replaceAll('"#/components/schemas/', `"${COMPONENTS_ID}#/$defs/`),
  ) as T;
}

/** Every object schema that lists properties and says nothing of others takes no others. */
function closed<T>(schema: T): T {
  const pending: unknown[] = [schema];
  while (pending.length > 0) {
    const node = pending.pop();
    if (typeof node !== 'object' || node === null) continue;
    const object = node as Record<string, unknown>;
    if (object.properties && typeof object.properties === 'object' && !('additionalProperties' in object)) {
      object.additionalProperties = false;
    }
    pending.push(...Object.values<unknown>(object));
  }
  return schema;
}

/** A header's text as the value its schema types (`Retry-After: 5` is the integer 5). */
function headerValue(text: string, schema: SchemaObject): unknown {
  const type = Array.isArray(schema.type) ? schema.type[0] : schema.type;
  if ((type === 'integer' || type === 'number') && /^-?\d+(\.\d+)?$/.test(text)) return Number(text);
  return text;
}
