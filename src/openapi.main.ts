import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { AppModule } from './app.module';
import { createHttpAdapter, openApiDocumentOf } from './app.setup';
import { loadAppConfig } from './config/app-config';
import { OPENAPI_DOCUMENT_PATH, serializeOpenApiDocument } from './common/openapi/openapi-document';

/**
 * Preview mode with default settings: needs no database, Redis or Stripe, and never depends on the machine.
 */
async function writeOpenApiDocument(): Promise<void> {
  const config = loadAppConfig({ NODE_ENV: 'development', LOG_LEVEL: 'silent' });
  const app = await NestFactory.create(AppModule.forRoot(config), createHttpAdapter(), {
    preview: true,
    logger: false,
    abortOnError: false,
  });
  const target = resolve(process.cwd(), OPENAPI_DOCUMENT_PATH);
  writeFileSync(target, serializeOpenApiDocument(openApiDocumentOf(app)));
  await app.close();
  process.stdout.write(`Wrote ${OPENAPI_DOCUMENT_PATH}\n`);
}

writeOpenApiDocument().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
