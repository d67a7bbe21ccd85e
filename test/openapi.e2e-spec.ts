import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { randomUUID } from 'node:crypto';
import type {
  OpenAPIObject,
  OperationObject,
  ParameterObject,
  ResponseObject,
  SchemaObject,
} from '@nestjs/swagger';
import request from 'supertest';
import { OPENAPI_DOCUMENT_PATH, serializeOpenApiDocument } from '../src/common/openapi/openapi-document';
import { DATE_TIME_SCHEMA } from '../src/common/validation/date-time';
import { UUID_SCHEMA } from '../src/common/validation/uuid';
import { IDEMPOTENCY_KEY_PATTERN } from '../src/idempotency/idempotency-scope';
import { createTestApp, TestApp } from './support/test-app';
import { bearer, signToken } from './support/tokens';

type Route = `${'get' | 'post' | 'patch' | 'delete'} ${string}`;

/** What each route can answer (docs/design/idempotency.md, docs/errors.md); the document may list more, never less. */
const REQUIRED_STATUSES: Record<Route, number[]> = {
  'post /payments/process': [201, 400, 401, 402, 409, 413, 422, 502, 503],
  'post /payments/fees': [201, 400, 401, 402, 404, 409, 413, 422, 502, 503],
  'post /intents': [201, 400, 401, 409, 413, 422, 502, 503],
  'post /refunds': [201, 400, 401, 404, 409, 413, 422, 502, 503],
  'get /payments': [200, 400, 401, 503],
  'get /payments/{id}': [200, 400, 401, 404, 503],
  'get /payments/{id}/refunds': [200, 400, 401, 404, 503],
  'get /refunds/{id}': [200, 400, 401, 404, 503],
  'post /customers': [201, 400, 401, 409, 413, 422, 502, 503],
  'get /customers/{id}': [200, 400, 401, 404, 503],
  'get /health': [200, 503],
  'get /health/ready': [200, 503],
  'get /metrics': [200],
  'post /webhooks/stripe': [200, 400, 413, 415, 503],
  'get /admin/webhooks': [200, 400, 401, 403, 503],
  'post /admin/webhooks/{eventId}/replay': [202, 401, 403, 404, 503],
  'get /events': [200, 400, 401, 503],
  'get /events/{id}': [200, 400, 401, 404, 503],
  'post /events/{id}/resend': [202, 400, 401, 404, 409, 413, 415, 422, 503],
  'post /webhook-endpoints': [201, 400, 401, 409, 413, 415, 422, 503],
  'get /webhook-endpoints': [200, 401, 503],
  'get /webhook-endpoints/{id}': [200, 400, 401, 404, 503],
  // Fastify reads a body sent with a PATCH or a DELETE, whether or not the route takes one.
  'patch /webhook-endpoints/{id}': [200, 400, 401, 404, 413, 415, 503],
  'delete /webhook-endpoints/{id}': [204, 400, 401, 404, 413, 415, 503],
  'post /webhook-endpoints/{id}/rotate-secret': [200, 400, 401, 404, 409, 413, 415, 422, 503],
  'post /webhook-endpoints/{id}/recover': [202, 400, 401, 404, 409, 413, 415, 422, 503],
  'get /webhook-endpoints/{id}/deliveries': [200, 400, 401, 404, 503],
};

/** The operationId of each events and endpoints route, as a generated client names its method. */
const EVENT_ROUTE_OPERATIONS: Record<string, string> = {
  'get /events': 'listEvents',
  'get /events/{id}': 'getEvent',
  'post /events/{id}/resend': 'resendEvent',
  'post /webhook-endpoints': 'createWebhookEndpoint',
  'get /webhook-endpoints': 'listWebhookEndpoints',
  'get /webhook-endpoints/{id}': 'getWebhookEndpoint',
  'patch /webhook-endpoints/{id}': 'updateWebhookEndpoint',
  'delete /webhook-endpoints/{id}': 'deleteWebhookEndpoint',
  'post /webhook-endpoints/{id}/rotate-secret': 'rotateWebhookEndpointSecret',
  'post /webhook-endpoints/{id}/recover': 'recoverWebhookDeliveries',
  'get /webhook-endpoints/{id}/deliveries': 'listWebhookDeliveries',
};

const IDEMPOTENT_ROUTES: Route[] = [
  'post /payments/process',
  'post /payments/fees',
  'post /intents',
  'post /refunds',
  'post /customers',
];
/** Idempotent too (every POST is), but moving no money: no 502. */
const IDEMPOTENT_EVENT_ROUTES: Array<[Route, number]> = [
  ['post /webhook-endpoints', 201],
  ['post /webhook-endpoints/{id}/rotate-secret', 200],
  ['post /webhook-endpoints/{id}/recover', 202],
  ['post /events/{id}/resend', 202],
];
const PUBLIC_ROUTES: Route[] = ['get /health', 'get /health/ready', 'get /metrics', 'post /webhooks/stripe'];
const CREATING_A_PAYMENT: Route[] = ['post /payments/process', 'post /payments/fees', 'post /intents'];

describe('OpenAPI document', () => {
  let testApp: TestApp;
  let document: OpenAPIObject;

  beforeAll(async () => {
    testApp = await createTestApp();
    const response = await request(testApp.http).get('/docs-json');
    expect(response.status).toBe(200);
    document = response.body as OpenAPIObject;
  });
  afterAll(() => testApp.close());

  const operation = (route: Route): OperationObject => {
    const [method, path] = route.split(' ') as ['get' | 'post' | 'patch' | 'delete', string];
    const found = document.paths[path]?.[method];
    if (!found) throw new Error(`${route} is not in the document`);
    return found;
  };
  const response = (route: Route, status: number) => operation(route).responses[status] as ResponseObject;
  /** The component schemas an error response names: one `$ref`, or several discriminated by `code`. */
  const errorSchemasOf = (route: Route, status: number): SchemaObject[] => {
    const schema = response(route, status)?.content?.['application/json']?.schema;
    if (!schema) return [];
    const refs = ('$ref' in schema ? [schema] : (schema.oneOf ?? [])) as Array<{ $ref: string }>;
    return refs.map(
      ({ $ref }) => document.components?.schemas?.[$ref.split('/').pop() ?? ''] as SchemaObject,
    );
  };
  const documentedCodes = (route: Route, status: number): string[] =>
    errorSchemasOf(route, status).flatMap(
      (schema) => ((schema?.properties?.code as SchemaObject | undefined)?.enum ?? []) as string[],
    );

  it(`is what ${OPENAPI_DOCUMENT_PATH} holds (run \`npm run openapi\` after changing the API)`, () => {
    const committed = readFileSync(resolve(__dirname, '..', OPENAPI_DOCUMENT_PATH), 'utf8');
    if (serializeOpenApiDocument(document) === committed) return;
    try {
      expect(JSON.parse(committed)).toEqual(document);
    } catch (difference) {
      throw new Error(
        `${OPENAPI_DOCUMENT_PATH} no longer matches the code: run \`npm run openapi\` and commit it.\n\n${
          (difference as Error).message
        }`,
        { cause: difference },
      );
    }
    throw new Error(
      `${OPENAPI_DOCUMENT_PATH} is formatted differently: run \`npm run openapi\` and commit it.`,
    );
  });

  it('documents every route and no other', () => {
    const documented = Object.entries(document.paths).flatMap(([path, item]) =>
      (['get', 'post', 'put', 'patch', 'delete'] as const)
        .filter((method) => item[method])
        .map((method) => `${method} ${path}`),
    );
    expect(documented.sort()).toEqual(Object.keys(REQUIRED_STATUSES).sort());
  });

  it.each(Object.entries(REQUIRED_STATUSES))('%s lists every status it can answer', (route, statuses) => {
    const listed = Object.keys(operation(route as Route).responses).map(Number);
    expect(listed).toEqual(expect.arrayContaining([...statuses, 500]));
  });

  it('describes every error response as the error body of each of its codes, discriminated by code', () => {
    for (const route of Object.keys(REQUIRED_STATUSES) as Route[]) {
      for (const [status, answer] of Object.entries(operation(route).responses)) {
        if (Number(status) < 400) continue;
        const schemas = errorSchemasOf(route, Number(status));
        expect({ route, status, schemas: schemas.length }).toEqual({
          route,
          status,
          schemas: expect.any(Number) as number,
        });
        expect(schemas.length).toBeGreaterThan(0);
        for (const schema of schemas) {
          expect({ route, status, required: schema.required }).toEqual({
            route,
            status,
            required: expect.arrayContaining(['statusCode', 'code', 'message']) as string[],
          });
          expect((schema.properties?.statusCode as SchemaObject).enum).toEqual([Number(status)]);
        }
        const codes = documentedCodes(route, Number(status));
        expect((answer as ResponseObject).description).toBe(codes.join(' | '));
        const schema = (answer as ResponseObject).content?.['application/json']?.schema as SchemaObject;
        if (codes.length > 1) {
          expect(Object.keys(schema.discriminator?.mapping ?? {})).toEqual(codes);
        }
      }
    }
  });

  it('types the details a client reads, per code', () => {
    const detailsOf = (code: string) =>
      (document.components?.schemas?.[code] as SchemaObject).properties?.details as SchemaObject;
    expect(detailsOf('CardDeclinedError').required).toEqual(['paymentId', 'declineCode']);
    expect(detailsOf('RefundExceedsPaymentError').properties).toHaveProperty('remaining');
    expect(detailsOf('ValidationFailedError').required).toEqual(['fields']);
    expect((document.components?.schemas?.CardDeclinedError as SchemaObject).required).toContain('details');
  });

  it('lists the answers given before any route runs on every route', () => {
    for (const route of Object.keys(REQUIRED_STATUSES) as Route[]) {
      expect(documentedCodes(route, 400)).toContain('MALFORMED_REQUEST');
      expect(documentedCodes(route, 408)).toEqual(['REQUEST_TIMEOUT']);
      expect(documentedCodes(route, 431)).toEqual(['HEADERS_TOO_LARGE']);
      const servedByWorkers = route.startsWith('get /health') || route === 'get /metrics';
      expect({ route, routeNotFound: documentedCodes(route, 404).includes('ROUTE_NOT_FOUND') }).toEqual({
        route,
        routeNotFound: !servedByWorkers,
      });
    }
  });

  it('names the codes of the money routes', () => {
    for (const route of IDEMPOTENT_ROUTES) {
      expect(documentedCodes(route, 400)).toEqual(
        expect.arrayContaining([
          'IDEMPOTENCY_KEY_REQUIRED',
          'IDEMPOTENCY_KEY_INVALID',
          'VALIDATION_FAILED',
          'MALFORMED_JSON',
        ]),
      );
      expect(documentedCodes(route, 401)).toEqual([
        'AUTH_TOKEN_EXPIRED',
        'AUTH_TOKEN_INVALID',
        'AUTH_TOKEN_MISSING',
      ]);
      expect(documentedCodes(route, 409)).toContain('DUPLICATE_IN_PROGRESS');
      expect(documentedCodes(route, 413)).toEqual(['PAYLOAD_TOO_LARGE']);
      expect(documentedCodes(route, 422)).toContain('IDEMPOTENCY_KEY_MISMATCH');
      expect(documentedCodes(route, 502)).toEqual(['PAYMENT_PROVIDER_UNAVAILABLE']);
      expect(documentedCodes(route, 503)).toEqual(['SERVICE_UNAVAILABLE']);
      expect(response(route, 409).headers).toHaveProperty('Retry-After');
      expect(response(route, 503).headers).toHaveProperty('Retry-After');
      expect(response(route, 401).headers).toHaveProperty('WWW-Authenticate');
    }
    for (const route of ['post /payments/process', 'post /payments/fees'] as Route[]) {
      expect(documentedCodes(route, 402)).toEqual(['CARD_DECLINED']);
      expect(documentedCodes(route, 422)).toEqual(
        expect.arrayContaining(['PAYMENT_METHOD_INVALID', 'PAYMENT_PROVIDER_REJECTED']),
      );
    }
    expect(documentedCodes('post /payments/fees', 404)).toEqual([
      'RELATED_PAYMENT_NOT_FOUND',
      'ROUTE_NOT_FOUND',
    ]);
    expect(documentedCodes('post /refunds', 404)).toEqual(['PAYMENT_NOT_FOUND', 'ROUTE_NOT_FOUND']);
    expect(documentedCodes('post /refunds', 409)).toContain('PAYMENT_NOT_REFUNDABLE');
    expect(documentedCodes('post /refunds', 422)).toContain('REFUND_EXCEEDS_PAYMENT');
    expect(documentedCodes('get /payments/{id}', 400)).toEqual(['MALFORMED_REQUEST', 'VALIDATION_FAILED']);
    expect(documentedCodes('get /payments/{id}', 404)).toEqual(['PAYMENT_NOT_FOUND', 'ROUTE_NOT_FOUND']);
  });

  it('documents the Idempotency-Key header and replays on the events and endpoints POSTs', () => {
    for (const [route, success] of IDEMPOTENT_EVENT_ROUTES) {
      expect(operation(route).parameters).toEqual(
        expect.arrayContaining([
          expect.objectContaining({ name: 'Idempotency-Key', in: 'header', required: true }),
        ]),
      );
      expect(response(route, success).headers).toHaveProperty('Idempotent-Replayed');
      expect(documentedCodes(route, 400)).toEqual(
        expect.arrayContaining(['IDEMPOTENCY_KEY_REQUIRED', 'IDEMPOTENCY_KEY_INVALID', 'VALIDATION_FAILED']),
      );
      expect(documentedCodes(route, 409)).toContain('DUPLICATE_IN_PROGRESS');
      expect(documentedCodes(route, 422)).toContain('IDEMPOTENCY_KEY_MISMATCH');
    }
    expect(documentedCodes('post /webhook-endpoints', 400)).toContain('WEBHOOK_URL_INVALID');
    expect(documentedCodes('post /webhook-endpoints', 422)).toContain('WEBHOOK_ENDPOINT_LIMIT_REACHED');
    expect(documentedCodes('patch /webhook-endpoints/{id}', 400)).toContain('WEBHOOK_URL_INVALID');
    expect(documentedCodes('get /events/{id}', 404)).toEqual(['EVENT_NOT_FOUND', 'ROUTE_NOT_FOUND']);
    expect(documentedCodes('post /events/{id}/resend', 409)).toEqual([
      'DUPLICATE_IN_PROGRESS',
      'WEBHOOK_ENDPOINT_DISABLED',
    ]);
    expect(response('post /webhook-endpoints', 201).headers?.Location).toMatchObject({ required: true });
  });

  it('gives every route an operationId a generated client reads, not the controller’s method name', () => {
    for (const route of Object.keys(REQUIRED_STATUSES) as Route[]) {
      expect({ route, operationId: operation(route).operationId }).toEqual({
        route,
        operationId: expect.stringMatching(/^[a-z]+(?:[A-Z][a-z]+)+$/) as string,
      });
    }
  });

  it('names, tags and describes the events and endpoints routes as the others', () => {
    const tags = new Map((document.tags ?? []).map((tag) => [tag.name, tag.description]));
    for (const [route, operationId] of Object.entries(EVENT_ROUTE_OPERATIONS)) {
      const { tags: operationTags, summary, description } = operation(route as Route);
      expect({ route, operationId: operation(route as Route).operationId }).toEqual({ route, operationId });
      expect(operationTags).toEqual([route.includes('/webhook-endpoints') ? 'webhook-endpoints' : 'events']);
      expect(tags.get(operationTags?.[0] ?? '')).toEqual(expect.any(String));
      expect({ route, summary: Boolean(summary), description: Boolean(description) }).toEqual({
        route,
        summary: true,
        description: true,
      });
      for (const parameter of (operation(route as Route).parameters ?? []) as ParameterObject[]) {
        if (parameter.in === 'path')
          expect(parameter.schema).toMatchObject({ format: 'uuid', pattern: UUID_SCHEMA.pattern });
      }
    }
  });

  it('types the details of the webhook endpoints’ codes', () => {
    const detailsOf = (name: string) =>
      (document.components?.schemas?.[name] as SchemaObject).properties?.details as SchemaObject;
    expect(detailsOf('WebhookUrlInvalidError').required).toEqual(['fields']);
    expect(detailsOf('WebhookEndpointLimitReachedError').properties?.limit).toMatchObject({
      type: 'integer',
    });
    expect(detailsOf('WebhookEndpointNotFoundError')).toBeUndefined();
  });

  it('states the query parameters of the payment, event and delivery lists as they are validated', () => {
    const query = (route: Route) =>
      Object.fromEntries(
        ((operation(route).parameters ?? []) as ParameterObject[])
          .filter((parameter) => parameter.in === 'query')
          .map((parameter) => [parameter.name, parameter.schema as SchemaObject]),
      );
    const events = query('get /events');
    expect(events.limit).toMatchObject({ type: 'integer', minimum: 1, maximum: 100 });
    expect(events.paymentId).toMatchObject({ format: 'uuid', pattern: UUID_SCHEMA.pattern });
    expect(events.createdFrom).toMatchObject({ format: 'date-time', pattern: DATE_TIME_SCHEMA.pattern });
    expect(events.cursor).toHaveProperty('pattern');
    const payments = query('get /payments');
    expect(Object.keys(payments).sort()).toEqual([
      'createdFrom',
      'createdTo',
      'cursor',
      'customerId',
      'limit',
      'status',
    ]);
    expect(payments.createdTo).toMatchObject({ format: 'date-time', pattern: DATE_TIME_SCHEMA.pattern });
    expect(query('get /webhook-endpoints/{id}/deliveries').limit).toMatchObject({ type: 'integer' });
    expect(Object.keys(query('get /webhook-endpoints'))).toEqual([]);
  });

  it('documents the Idempotency-Key header and replays on the idempotent routes', () => {
    for (const route of IDEMPOTENT_ROUTES) {
      expect(operation(route).parameters).toEqual(
        expect.arrayContaining([
          expect.objectContaining({
            name: 'Idempotency-Key',
            in: 'header',
            required: true,
            schema: expect.objectContaining({ type: 'string', pattern: IDEMPOTENCY_KEY_PATTERN }) as object,
          }),
        ]),
      );
      expect(response(route, 201).headers).toHaveProperty('Idempotent-Replayed');
      // Stored 4xx come back replayed; the ones never stored never do.
      expect(response(route, 422).headers).toHaveProperty('Idempotent-Replayed');
      for (const status of [400, 401, 409, 413, 502, 503]) {
        expect({
          route,
          status,
          replayed: Boolean(response(route, status).headers?.['Idempotent-Replayed']),
        }).toEqual({ route, status, replayed: false });
      }
    }
    expect(response('post /payments/process', 402).headers).toHaveProperty('Idempotent-Replayed');
    for (const route of CREATING_A_PAYMENT) {
      expect(response(route, 201).headers).toHaveProperty('Location');
    }
  });

  it('puts the bearer scheme on authenticated routes only', () => {
    expect(document.components?.securitySchemes?.bearer).toMatchObject({ type: 'http', scheme: 'bearer' });
    for (const route of Object.keys(REQUIRED_STATUSES) as Route[]) {
      const expected = PUBLIC_ROUTES.includes(route) ? [] : [{ bearer: [] }];
      expect({ route, security: operation(route).security }).toEqual({ route, security: expected });
    }
  });

  it('documents the codes the service really answers with', async () => {
    const auth = bearer(signToken());
    const answers = [
      {
        route: 'get /payments/{id}' as Route,
        answer: await request(testApp.http).get('/payments/nope').set(auth),
      },
      {
        route: 'get /payments/{id}' as Route,
        answer: await request(testApp.http).get(`/payments/${randomUUID()}`).set(auth),
      },
      {
        route: 'get /payments/{id}' as Route,
        answer: await request(testApp.http).get(`/payments/${randomUUID()}`),
      },
      {
        route: 'post /refunds' as Route,
        answer: await request(testApp.http).post('/refunds').set(auth).send({}),
      },
      {
        route: 'post /refunds' as Route,
        answer: await request(testApp.http)
          .post('/refunds')
          .set(auth)
          .set('Idempotency-Key', 'not-a-uuid')
          .send({ paymentId: randomUUID() }),
      },
      {
        route: 'post /refunds' as Route,
        answer: await request(testApp.http)
          .post('/refunds')
          .set(auth)
          .set('Idempotency-Key', randomUUID())
          .send({ paymentId: randomUUID() }),
      },
      {
        route: 'post /payments/process' as Route,
        answer: await request(testApp.http)
          .post('/payments/process')
          .set(auth)
          .set('Idempotency-Key', randomUUID())
          .set('Content-Type', 'application/json')
          .send('{"amount":'),
      },
      {
        route: 'post /payments/process' as Route,
        answer: await request(testApp.http)
          .post('/payments/process')
          .set(auth)
          .set('Idempotency-Key', randomUUID())
          .set('Content-Type', 'application/json; charset=latin1')
          .send('{}'),
      },
    ];
    for (const { route, answer } of answers) {
      const code = (answer.body as { code?: string }).code;
      expect({ route, status: answer.status, documented: documentedCodes(route, answer.status) }).toEqual({
        route,
        status: answer.status,
        documented: expect.arrayContaining([code]),
      });
    }
    expect(answers.map(({ answer }) => answer.status)).toEqual([400, 404, 401, 400, 400, 404, 400, 415]);
  });
});
