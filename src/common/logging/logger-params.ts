import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Params } from 'nestjs-pino';
import type { AuthenticatedRequest } from '../../auth/principal';
import { AppConfig } from '../../config/app-config';
import { describeError } from '../errors/error-like';

const REQUEST_ID = /^[\w.:-]{1,128}$/;

/**
 * Structured JSON logs with a request id (the caller's `X-Request-Id` when it is sane, a new
 * UUID otherwise) on every line. An access line carries the method, URL, status, duration and
 * the caller's tenant; never headers or bodies, so no credential can reach a log.
 *
 * pino-http binds the serialized request to a child logger on every request, whether or not
 * its line is ever written: the serializers are kept minimal (and unwrapped, so pino's own
 * full request serializer with every header does not run first) to make that nearly free.
 */
export function loggerParams(config: AppConfig): Params {
  return {
    pinoHttp: {
      level: config.logLevel,
      genReqId: (request: IncomingMessage, response: ServerResponse) => {
        const given = request.headers['x-request-id'];
        const id = typeof given === 'string' && REQUEST_ID.test(given) ? given : randomUUID();
        response.setHeader('X-Request-Id', id);
        return id;
      },
      wrapSerializers: false,
      serializers: {
        req: (request: IncomingMessage & { id?: unknown; originalUrl?: string }) => ({
          id: request.id,
          method: request.method,
          url: request.originalUrl ?? request.url,
        }),
        res: (response: ServerResponse) => ({ statusCode: response.statusCode }),
        // pino-http attaches an Error to every 5xx line; keep its type and message, never a stack.
        err: describeError,
      },
      // The tenant is known only once the guard has run, so it is added when the line is written.
      customSuccessObject: (request, _response, line: object) => withTenant(request, line),
      customErrorObject: (request, _response, _error, line: object) => withTenant(request, line),
      // Defence in depth, should a header ever be logged by another path.
      redact: {
        paths: [
          'req.headers.authorization',
          'req.headers.cookie',
          'req.headers["stripe-signature"]',
          'req.headers["idempotency-key"]',
          'res.headers["set-cookie"]',
        ],
        censor: '[redacted]',
      },
      customLogLevel: (_request, response, error) =>
        error || response.statusCode >= 500 ? 'error' : response.statusCode >= 400 ? 'warn' : 'info',
      autoLogging: { ignore: (request) => request.url === '/health' || request.url === '/metrics' },
    },
  };
}

function withTenant(request: IncomingMessage, line: object): object {
  const tenantId = (request as AuthenticatedRequest).principal?.tenantId;
  return tenantId === undefined ? line : { ...line, tenantId };
}
