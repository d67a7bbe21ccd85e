import type { Params } from 'nestjs-pino';
import { AppConfig } from '../../config/app-config';
import { describeError } from '../errors/error-like';
import { currentRequestId } from './access-log';

/**
 * Structured JSON logs. Every line written while a request is served carries its id (`reqId`,
 * from `accessLog`), and each request gets one access line from `accessLog`; nestjs-pino is kept
 * for what it does well, routing Nest's own `Logger` calls to pino, and its per-request
 * middleware is not mounted (`forRoutes: []`).
 */
export function loggerParams(config: AppConfig): Params {
  return {
    forRoutes: [],
    pinoHttp: {
      level: config.logLevel,
      mixin: currentRequestId,
      // pino-http (which nestjs-pino builds the logger with) would otherwise wrap these in its own
      // serializers, made for Node's request and response objects.
      wrapSerializers: false,
      serializers: {
        req: sameObject,
        res: sameObject,
        // A logged error keeps its type, code and message, never a stack.
        err: describeError,
      },
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
    },
  };
}

function sameObject(value: unknown): unknown {
  return value;
}
