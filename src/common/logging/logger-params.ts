import type { Params } from 'nestjs-pino';
import type { LogFn, Logger } from 'pino';
import { AppConfig } from '../../config/app-config';
import { describeError } from '../errors/error-like';
import { currentRequestId } from './access-log';

/** nestjs-pino only routes Nest's `Logger` to pino. Lines never carry headers or bodies, so no `redact`. */
export function loggerParams(config: AppConfig, interactive = process.stdout.isTTY): Params {
  return {
    forRoutes: [],
    pinoHttp: {
      level: config.logLevel,
      mixin: currentRequestId,
      hooks: { logMethod: withoutModuleLoading },
      // pino-pretty is a development dependency, loaded only at a terminal.
      ...(config.nodeEnv === 'development' && interactive ? { transport: PRETTY } : {}),
      // Keeps pino-http's serializers for Node's request and response objects off these.
      wrapSerializers: false,
      serializers: {
        req: sameObject,
        res: sameObject,
        err: describeError,
      },
    },
  };
}

const PRETTY = {
  target: 'pino-pretty',
  options: { singleLine: true, translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname' },
};

const MODULE_LOADING = new Set(['InstanceLoader', 'RoutesResolver', 'RouterExplorer']);

/** Nest's per-module and per-route boot lines, dropped unless the level is debug. */
function withoutModuleLoading(this: Logger, args: Parameters<LogFn>, method: LogFn): void {
  const context = (args[0] as { context?: unknown } | null)?.context;
  if (typeof context === 'string' && MODULE_LOADING.has(context) && !this.isLevelEnabled('debug')) return;
  method.apply(this, args);
}

function sameObject(value: unknown): unknown {
  return value;
}
