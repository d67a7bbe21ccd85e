import type { Params } from 'nestjs-pino';
import { AppConfig } from '../../config/app-config';
import { describeError } from '../errors/error-like';
import { currentRequestId } from './access-log';

/**
 * Structured JSON logs. Each request gets one access line from `accessLog`, and every line
 * written while it is served carries its id (`req.id`). nestjs-pino is kept for routing Nest's
 * own `Logger` calls to pino; its per-request middleware is not mounted (`forRoutes: []`).
 *
 * No line is given a header or a body (the access line is built field by field), so there is
 * nothing for pino's `redact` to remove; it would cost a walk of every line.
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
    },
  };
}

function sameObject(value: unknown): unknown {
  return value;
}
