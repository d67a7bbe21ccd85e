import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { AppModule } from './app.module';
import { BootLogger } from './common/logging/boot-logger';
import { configureApp, createHttpAdapter } from './app.setup';
import { Logger } from '@nestjs/common';
import { ConfigError, DEVELOPMENT_JWT_SECRET, loadAppConfig } from './config/app-config';

async function bootstrap(): Promise<void> {
  const config = loadAppConfig(process.env);
  // rawBody keeps the exact bytes Stripe signed, for webhook signature checks.
  const app = await NestFactory.create<NestFastifyApplication>(
    AppModule.forRoot(config),
    createHttpAdapter(),
    {
      logger: new BootLogger(),
      bufferLogs: true,
      rawBody: true,
      // Fail by throwing, so the one-line handler below reports it.
      abortOnError: false,
    },
  );
  configureApp(app);
  if (config.jwtSecret === DEVELOPMENT_JWT_SECRET) {
    new Logger('Bootstrap').warn(
      'DEVELOPMENT MODE: no JWT_SECRET set, tokens are checked against the built-in development secret',
    );
  }
  await app.listen(config.port, '0.0.0.0');
}

bootstrap().catch((error: unknown) => {
  // A bad configuration is one plain line on stderr, before any logger exists.
  const message = error instanceof ConfigError ? error.message : `Startup failed: ${describe(error)}`;
  process.stderr.write(`${message}\n`);
  process.exit(1);
});

function describe(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}
