import pino from 'pino';
import { Writable } from 'node:stream';
import { loadAppConfig } from '../../config/app-config';
import { loggerParams } from './logger-params';

const SECRET = 'a-test-secret-of-enough-length';

/** A pino logger with the service's options, writing its lines into an array. */
function loggerWith(level: string) {
  const lines: Array<Record<string, unknown>> = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(JSON.parse(chunk.toString()) as Record<string, unknown>);
      done();
    },
  });
  const options = loggerParams(
    loadAppConfig({ NODE_ENV: 'test', LOG_LEVEL: level, JWT_SECRET: SECRET }),
    false,
  ).pinoHttp as pino.LoggerOptions;
  return { logger: pino({ ...options, level }, sink), lines };
}

describe(loggerParams.name, () => {
  it('drops Nest’s module-loading lines, and keeps them at debug level', () => {
    const info = loggerWith('info');
    info.logger.info({ context: 'InstanceLoader' }, 'ConfigModule dependencies initialized');
    info.logger.info({ context: 'RouterExplorer' }, 'Mapped {/health, GET} route');
    info.logger.info({ context: 'NestApplication' }, 'Nest application successfully started');
    expect(info.lines.map((line) => line.msg)).toEqual(['Nest application successfully started']);

    const debug = loggerWith('debug');
    debug.logger.info({ context: 'InstanceLoader' }, 'ConfigModule dependencies initialized');
    expect(debug.lines).toHaveLength(1);
  });

  it('prints pretty lines only in development at a terminal; JSON everywhere else', () => {
    const transport = (nodeEnv: string, interactive: boolean) =>
      (
        loggerParams(loadAppConfig({ NODE_ENV: nodeEnv, JWT_SECRET: SECRET }), interactive)
          .pinoHttp as pino.LoggerOptions
      ).transport;
    expect(transport('development', true)).toMatchObject({ target: 'pino-pretty' });
    expect(transport('development', false)).toBeUndefined();
    expect(transport('test', true)).toBeUndefined();
  });
});
