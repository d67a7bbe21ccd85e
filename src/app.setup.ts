import type { IncomingHttpHeaders } from 'node:http';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import type { INestApplication } from '@nestjs/common';
import { OpenAPIObject, SwaggerModule } from '@nestjs/swagger';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import helmet from 'helmet';
import { Logger, PinoLogger } from 'nestjs-pino';
import { answerClientErrorAsJson } from './common/errors/client-error.handler';
import { registerAccessLog, requestIdFor } from './common/logging/access-log';
import { CommonErrorCode, CommonException } from './common/errors/common.exception';
import { buildOpenApiDocument } from './common/openapi/openapi-document';
import { normalisedSegments } from './auth/admin-path';
import { TENANT_EVENT_WEBHOOK } from './webhook-endpoints';
import { AppConfig } from './config/app-config';
import { countHttpResponse } from './metrics/http-responses.metrics';

export const BODY_LIMIT = 100 * 1024;

/** Stripe's events are far smaller, but they carry whole objects. */
export const WEBHOOK_BODY_LIMIT = 1024 * 1024;
const WEBHOOK_PATH = '/webhooks/stripe';

/**
 * Fastify (docs/decisions/fastify-over-express.md). Paths match in any letter case, with or without a
 * trailing slash, as existing clients expect; errors Node raises before a request exists are answered as JSON
 * (docs/errors.md).
 */
export function createHttpAdapter(): FastifyAdapter {
  return new FastifyAdapter({
    bodyLimit: BODY_LIMIT,
    genReqId: requestIdFor,
    clientErrorHandler: answerClientErrorAsJson,
    // Node's default, which Fastify turns off: a client that never finishes its request gets a 408.
    requestTimeout: 300_000,
    routerOptions: { ignoreTrailingSlash: true, caseSensitive: false },
  });
}

/** Shared by `main.ts` and the e2e tests, so tests exercise the same parsing, docs and shutdown. */
export function configureApp(app: NestFastifyApplication): NestFastifyApplication {
  const config = app.get(AppConfig);
  const fastify = app.getHttpAdapter().getInstance();
  app.useLogger(app.get(Logger));
  // First, so every request has an id and an access line, even one refused below.
  registerAccessLog(fastify, PinoLogger.root, countHttpResponse);
  // Next, so nothing registered below (docs, the queue board, the API) answers in a worker.
  if (!config.runsHttp) fastify.addHook('onRequest', serveOnlyOperationalRoutes);
  registerSecurityHeaders(fastify);
  // Closed unless origins are configured: by default the API is called by servers, not browsers.
  app.enableCors({
    origin: config.corsOrigins.length > 0 ? [...config.corsOrigins] : false,
    methods: ['GET', 'POST', 'PATCH', 'DELETE'],
    allowedHeaders: ['Authorization', 'Content-Type', 'Idempotency-Key', 'X-Request-Id'],
    exposedHeaders: ['Location', 'Idempotent-Replayed', 'Retry-After', 'X-Request-Id'],
    maxAge: 600,
  });
  // Stripe's events are verified on their exact bytes, so their route gets them raw, under its own limit.
  fastify.addHook('onRoute', (route) => {
    if (route.url !== WEBHOOK_PATH) return;
    route.bodyLimit = WEBHOOK_BODY_LIMIT;
    route.onRequest = [...[route.onRequest ?? []].flat(), requireJsonEvent];
  });
  app.useBodyParser('application/json', {}, (request, body, done) => {
    try {
      done(null, parseJsonBody(request, body));
    } catch (error) {
      done(error as Error, undefined);
    }
  });
  fastify.addHook('preValidation', rejectDeepBodies);
  closeConnectionsWhenDrained(fastify);
  app.enableShutdownHooks();

  SwaggerModule.setup('docs', app, openApiDocumentOf(app));
  return app;
}

/** The API's document: its routes, and the webhooks it sends to tenants' endpoints. */
export function openApiDocumentOf(app: INestApplication): OpenAPIObject {
  return buildOpenApiDocument(app, {
    workerRoutes: OPERATIONAL_ROUTES,
    webhooks: { tenantEvent: TENANT_EVENT_WEBHOOK },
  });
}

/** Built once: `@fastify/helmet` reparses the policy on every request (2 % of a replay's CPU). */
function registerSecurityHeaders(fastify: FastifyInstance): void {
  const setHeaders = helmet();
  fastify.addHook('onRequest', (request, reply, done) => {
    setHeaders(request.raw, reply.raw, (error?: unknown) => done(error as Error | undefined));
  });
}

/** Otherwise a kept-alive connection holds the process past an orchestrator's grace period. */
function closeConnectionsWhenDrained(fastify: FastifyInstance): void {
  let draining = false;
  fastify.addHook('preClose', (done) => {
    draining = true;
    done();
  });
  fastify.addHook('onSend', (_request, reply, payload, done) => {
    if (draining) reply.header('Connection', 'close');
    done(null, payload);
  });
}

/** What a `worker` process serves (docs/configuration.md): health and metrics. */
export const OPERATIONAL_ROUTES: ReadonlySet<string> = new Set(['health', 'metrics']);

function serveOnlyOperationalRoutes(
  request: FastifyRequest,
  _reply: unknown,
  done: (error?: Error) => void,
): void {
  if (OPERATIONAL_ROUTES.has(normalisedSegments(request.url)[0] ?? '')) {
    done();
    return;
  }
  done(
    new CommonException(
      CommonErrorCode.ROUTE_NOT_FOUND,
      `Cannot ${request.method} ${request.url.split('?', 1)[0]}: this process runs with WORKER_MODE=worker`,
    ),
  );
}

/**
 * The body rules clients were written against: UTF-8 only, no content encoding, an object or array at the top
 * (anything else is `MALFORMED_JSON`), and an empty body read as `{}`.
 */
function parseJsonBody(
  request: { routeOptions: { url?: string }; headers: IncomingHttpHeaders },
  body: Buffer,
): unknown {
  // By the matched route, not the path as spelled: `/webhooks/stripe/` is the same route.
  if (request.routeOptions.url === WEBHOOK_PATH) return body;
  const charset = /;\s*charset\s*=\s*"?([^";\s]+)/i.exec(request.headers['content-type'] ?? '')?.[1];
  if (charset !== undefined && !/^utf-?8$/i.test(charset))
    throw new CommonException(CommonErrorCode.UNSUPPORTED_MEDIA_TYPE, `Unsupported charset "${charset}"`);
  const encoding = request.headers['content-encoding'];
  if (encoding !== undefined && encoding.toLowerCase() !== 'identity')
    throw new CommonException(
      CommonErrorCode.UNSUPPORTED_MEDIA_TYPE,
      `Unsupported content encoding "${encoding}"`,
    );
  if (body.length === 0) return {};
  const text = body.toString('utf8');
  const first = /\S/.exec(text)?.[0];
  try {
    if (first !== '{' && first !== '[') throw new SyntaxError('not an object or array');
    return JSON.parse(text);
  } catch {
    throw new CommonException(CommonErrorCode.MALFORMED_JSON, 'Request body is not valid JSON');
  }
}

/** Refused before the body is read: another parser would hand the route a body it cannot verify. */
function requireJsonEvent(request: FastifyRequest, _reply: unknown, done: (error?: Error) => void): void {
  const type = request.headers['content-type']?.split(';', 1)[0].trim().toLowerCase();
  if (type === 'application/json') {
    done();
    return;
  }
  done(
    new CommonException(CommonErrorCode.UNSUPPORTED_MEDIA_TYPE, 'Stripe events are sent as application/json'),
  );
}

/** No accepted body nests deeper than this (metadata is the deepest, at 2). */
export const MAX_BODY_DEPTH = 16;

/** Recursive code (canonical JSON, class-transformer) would overflow the stack on deep nesting. */
function rejectDeepBodies(request: FastifyRequest, _reply: unknown, done: (error?: Error) => void): void {
  const body: unknown = request.body;
  if (Buffer.isBuffer(body)) {
    done();
    return;
  }
  const pending: Array<{ node: unknown; depth: number }> = [{ node: body, depth: 0 }];
  for (let item = pending.pop(); item; item = pending.pop()) {
    if (typeof item.node !== 'object' || item.node === null) continue;
    if (item.depth >= MAX_BODY_DEPTH) {
      done(
        new CommonException(
          CommonErrorCode.VALIDATION_FAILED,
          `Request body nests deeper than ${MAX_BODY_DEPTH} levels`,
          {
            fields: [{ field: 'body', messages: [`body nests deeper than ${MAX_BODY_DEPTH} levels`] }],
          },
        ),
      );
      return;
    }
    for (const child of Object.values(item.node)) pending.push({ node: child, depth: item.depth + 1 });
  }
  done();
}
