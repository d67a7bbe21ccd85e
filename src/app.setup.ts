import type { NestExpressApplication } from '@nestjs/platform-express';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import type { NextFunction, Request, Response } from 'express';
import helmet from 'helmet';
import { Logger } from 'nestjs-pino';
import { answerClientErrorsAsJson } from './common/errors/client-error.handler';
import { AppConfig } from './config/app-config';

/** Largest accepted JSON body; anything bigger is a 413. */
export const BODY_LIMIT = '100kb';

/**
 * Everything about the HTTP application that is not a module: shared by `main.ts` and the
 * end-to-end tests, so the tests exercise the same body parsing, docs and shutdown.
 */
export function configureApp(app: NestExpressApplication): NestExpressApplication {
  const config = app.get(AppConfig);
  app.useLogger(app.get(Logger));
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
  app.useBodyParser('json', { limit: BODY_LIMIT });
  app.enableShutdownHooks();
  app.set('trust proxy', false);
  app.disable('x-powered-by');

  const document = SwaggerModule.createDocument(
    app,
    new DocumentBuilder()
      .setTitle('payment-service')
      .setDescription(
        'Payments charged exactly once: idempotent POSTs, exactly-once Stripe webhooks, multi-tenant.',
      )
      .setVersion('1')
      .addBearerAuth()
      .build(),
  );
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
