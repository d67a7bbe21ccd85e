import type { INestApplication } from '@nestjs/common';
import { DocumentBuilder, OpenAPIObject, SwaggerModule } from '@nestjs/swagger';
import stringify from 'safe-stable-stringify';
import { applyDocumentRules, DocumentRulesOptions } from './document-rules';

/** Relative to the repository root; `npm run openapi` writes it. */
export const OPENAPI_DOCUMENT_PATH = 'docs/openapi.json';

const DESCRIPTION = [
  'Payments charged exactly once: idempotent POSTs, exactly-once Stripe webhooks, multi-tenant.',
  '',
  'Every error is one JSON body, `{statusCode, code, message, details?}`: clients branch on `code`, and each code has a schema of its own (`CardDeclinedError`…) with its `details` typed. Every response carries `X-Request-Id`. A path or method not listed here answers `404 ROUTE_NOT_FOUND`.',
  '',
  'Request bodies and query strings are exactly as strict as these schemas: an unknown field or query parameter, an explicit `null`, or text with a NUL character or an unpaired surrogate is `400 VALIDATION_FAILED`.',
].join('\n');

/** The document `/docs` serves and `docs/openapi.json` holds. */
export function buildOpenApiDocument(app: INestApplication, options: DocumentRulesOptions): OpenAPIObject {
  const document = SwaggerModule.createDocument(
    app,
    new DocumentBuilder()
      .setTitle('payment-service')
      .setDescription(DESCRIPTION)
      .setVersion('1')
      .addServer('http://{host}:{port}', 'A running service: `npm start` serves on 127.0.0.1:3000', {
        host: { default: '127.0.0.1', description: 'Where the service runs' },
        port: { default: '3000', description: '`PORT`' },
      })
      .addBearerAuth()
      .addTag('payments', 'Charges, fees and PaymentIntents, each exactly once per `Idempotency-Key`.')
      .addTag('refunds', 'Refunds, whichever channel made them, at their Stripe status.')
      .addTag('customers', 'Stripe customers, each owned by one tenant.')
      .addTag(
        'events',
        'What happened to your payments, refunds and webhook endpoints, kept and readable, each the body its webhooks deliver.',
      )
      .addTag(
        'webhook-endpoints',
        'Where your events are delivered, signed (Standard Webhooks) and retried for 3 days; the deliveries and their attempts.',
      )
      .addTag('webhooks', 'Stripe’s events, verified, stored once and processed in the background.')
      .addTag('health', 'Liveness and readiness, for an orchestrator.')
      .addTag('metrics', 'Prometheus metrics, for scraping.')
      .addTag(
        'admin',
        'The platform operator’s routes (a token with the `admin` role). They span every tenant: `admin` is not a tenant’s role, and no tenant-facing view lives under `/admin/*`.',
      )
      .build(),
  );
  document.info.license = { name: 'MIT', identifier: 'MIT' } as OpenAPIObject['info']['license'];
  return applyDocumentRules(document, options);
}

/** Sorted keys at every level: the file changes only when the contract does, not with registration order. */
export function serializeOpenApiDocument(document: OpenAPIObject): string {
  return `${stringify(document, null, 2)}\n`;
}
