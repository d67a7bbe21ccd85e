import type { INestApplication } from '@nestjs/common';
import { DocumentBuilder, OpenAPIObject, SwaggerModule } from '@nestjs/swagger';
import stringify from 'safe-stable-stringify';

/** Where the committed document lives, relative to the repository root (`npm run openapi`). */
export const OPENAPI_DOCUMENT_PATH = 'docs/openapi.json';

/** The OpenAPI document of every route, as `/docs` serves it and `docs/openapi.json` holds it. */
export function buildOpenApiDocument(app: INestApplication): OpenAPIObject {
  return SwaggerModule.createDocument(
    app,
    new DocumentBuilder()
      .setTitle('payment-service')
      .setDescription(
        'Payments charged exactly once: idempotent POSTs, exactly-once Stripe webhooks, multi-tenant.',
      )
      .setVersion('1')
      .addBearerAuth()
      .addTag(
        'admin',
        'The platform operator’s routes (a token with the `admin` role). They span every tenant: `admin` is not a tenant’s role, and no tenant-facing view lives under `/admin/*`.',
      )
      .build(),
  );
}

/**
 * Keys sorted at every level and two-space indented, so the file changes only when the
 * contract does, whatever order modules and decorators were registered in.
 */
export function serializeOpenApiDocument(document: OpenAPIObject): string {
  return `${stringify(document, null, 2)}\n`;
}
