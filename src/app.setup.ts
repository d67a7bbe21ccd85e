import type { IncomingMessage } from 'node:http';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { SwaggerModule } from '@nestjs/swagger';
import type { NextFunction, Request, Response } from 'express';
import helmet from 'helmet';
import { Logger, PinoLogger } from 'nestjs-pino';
import { answerClientErrorsAsJson } from './common/errors/client-error.handler';
import { accessLog } from './common/logging/access-log';
import { CommonErrorCode, CommonException } from './common/errors/common-error-code';
import { buildOpenApiDocument } from './common/openapi/openapi-document';
import { normalisedSegments } from './auth/admin-path';
import { AppConfig } from './config/app-config';

/** Largest accepted JSON body; anything bigger is a 413. */
export const BODY_LIMIT = '100kb';

/** Largest accepted Stripe event (Stripe's own are far smaller, but carry whole objects). */
export const WEBHOOK_BODY_LIMIT = '1mb';
const WEBHOOK_PATH = '/webhooks/stripe';

function isWebhookDelivery(request: IncomingMessage): boolean {
  return (request.url ?? '').split('?')[0] === WEBHOOK_PATH;
}

/**
 * Everything about the HTTP application that is not a module: shared by `main.ts` and the
 * end-to-end tests, so the tests exercise the same body parsing, docs and shutdown.
 */
export function configureApp(app: NestExpressApplication): NestExpressApplication {
  const config = app.get(AppConfig);
  app.useLogger(app.get(Logger));
  // First of all, so every request has an id and an access line, even one refused below.
  app.use(accessLog(PinoLogger.root));
  // Next, so nothing mounted below (docs, the queue board, the API) answers in a worker.
  if (!config.runsHttp) app.use(serveOnlyOperationalRoutes);
  answerClientErrorsAsJson(app.getHttpServer());
  app.use(securityHeaders());
  // Closed unless origins are configured: the API is called by servers, not browsers, by default.
  app.enableCors({
    origin: config.corsOrigins.length > 0 ? [...config.corsOrigins] : false,
    methods: ['GET', 'POST'],
    allowedHeaders: ['Authorization', 'Content-Type', 'Idempotency-Key', 'X-Request-Id'],
    exposedHeaders: ['Location', 'Idempotent-Replayed', 'Retry-After', 'X-Request-Id'],
    maxAge: 600,
  });
  // Stripe's events are verified on their exact bytes: kept raw (the JSON parser then skips them),
  // under a limit of their own, and never judged by the JSON body rules before verification.
  app.useBodyParser('raw', { limit: WEBHOOK_BODY_LIMIT, type: isWebhookDelivery });
  app.useBodyParser('json', { limit: BODY_LIMIT });
  app.use(rejectDeepBodies);
  app.enableShutdownHooks();
  app.set('trust proxy', false);
  app.disable('x-powered-by');
  // Answers are small and not cacheable (money state moves): no ETag hashed over every body.
  app.set('etag', false);

  const document = buildOpenApiDocument(app);
  SwaggerModule.setup('docs', app, document);
  return app;
}

/**
 * helmet's defaults everywhere. Its CSP already allows what the Swagger UI at /docs needs
 * (scripts and styles from 'self', inline styles, data: images), which the docs test checks.
 */
function securityHeaders(): (request: Request, response: Response, next: NextFunction) => void {
  return helmet();
}

/** What a `worker` process serves (SPEC §1): health for the orchestrator, metrics for scraping. */
const OPERATIONAL_ROUTES = new Set(['health', 'metrics']);

function serveOnlyOperationalRoutes(request: Request, _response: Response, next: NextFunction): void {
  if (OPERATIONAL_ROUTES.has(normalisedSegments(request.url)[0] ?? '')) {
    next();
    return;
  }
  next(
    new CommonException(
      CommonErrorCode.ROUTE_NOT_FOUND,
      `Cannot ${request.method} ${request.path}: this process runs with WORKER_MODE=worker`,
    ),
  );
}

/** No body the service accepts nests deeper than this (metadata is the deepest: 2). */
export const MAX_BODY_DEPTH = 16;

/**
 * A body of a few thousand nested arrays is valid JSON under the size limit, but recursive code
 * (the fingerprint's canonical JSON, class-transformer) would overflow the stack on it: a 500.
 * Measured without recursion, right after parsing.
 */
function rejectDeepBodies(request: Request, _response: Response, next: NextFunction): void {
  const body: unknown = request.body;
  if (Buffer.isBuffer(body)) {
    next();
    return;
  }
  const pending: Array<{ node: unknown; depth: number }> = [{ node: body, depth: 0 }];
  for (let item = pending.pop(); item; item = pending.pop()) {
    if (typeof item.node !== 'object' || item.node === null) continue;
    if (item.depth >= MAX_BODY_DEPTH) {
      next(
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
  next();
}
