import type { Params } from 'nestjs-pino';
import type { LogFn, Logger } from 'pino';
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
export function loggerParams(config: AppConfig, interactive = process.stdout.isTTY): Params {
  return {
    forRoutes: [],
    pinoHttp: {
      level: config.logLevel,
      mixin: currentRequestId,
      hooks: { logMethod: withoutModuleLoading },
      // A developer at a terminal reads lines, not JSON; anywhere else (production, CI, a pipe)
      // stays JSON. pino-pretty is a development dependency: it is only loaded here.
      ...(config.nodeEnv === 'development' && interactive ? { transport: PRETTY } : {}),
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

const PRETTY = {
  target: 'pino-pretty',
  options: { singleLine: true, translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname' },
};

/** Nest's lines about wiring modules and mapping routes: one per module and route at every boot. */
const MODULE_LOADING = new Set(['InstanceLoader', 'RoutesResolver', 'RouterExplorer']);

/** Drops Nest's module-loading lines unless the level asks for debug output. */
function withoutModuleLoading(this: Logger, args: Parameters<LogFn>, method: LogFn): void {
  const context = (args[0] as { context?: unknown } | null)?.context;
  if (typeof context === 'string' && MODULE_LOADING.has(context) && !this.isLevelEnabled('debug')) return;
  method.apply(this, args);
}

function sameObject(value: unknown): unknown {
  return value;
}
