import type { NestExpressApplication } from '@nestjs/platform-express';
import { SwaggerModule } from '@nestjs/swagger';
import { Logger } from 'nestjs-pino';
import { buildOpenApiDocument } from './common/openapi/openapi-document';

/** Largest accepted JSON body; anything bigger is a 413. */
export const BODY_LIMIT = '100kb';

/**
 * Everything about the HTTP application that is not a module: shared by `main.ts` and the
 * end-to-end tests, so the tests exercise the same body parsing, docs and shutdown.
 */
export function configureApp(app: NestExpressApplication): NestExpressApplication {
  app.useLogger(app.get(Logger));
  app.useBodyParser('json', { limit: BODY_LIMIT });
  app.enableShutdownHooks();
  app.set('trust proxy', false);
  app.disable('x-powered-by');

  const document = buildOpenApiDocument(app);
  SwaggerModule.setup('docs', app, document);
  return app;
}
