import type { Server } from 'node:http';
import { ModuleMetadata, Type } from '@nestjs/common';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { Test } from '@nestjs/testing';
import { AppModule } from '../../src/app.module';
import { configureApp, createHttpAdapter } from '../../src/app.setup';
import { AppConfig, loadAppConfig } from '../../src/config/app-config';

export const TEST_JWT_SECRET = 'test-jwt-secret-for-e2e-only-0123456789';

export interface TestApp {
  app: NestFastifyApplication;
  http: Server;
  config: AppConfig;
  close(): Promise<void>;
}

export interface TestAppOptions {
  /** Environment overrides on top of the test defaults (real PostgreSQL and Redis). */
  env?: Record<string, string>;
  /** Extra controllers/providers/imports, e.g. a probe controller for cross-cutting behaviour. */
  metadata?: ModuleMetadata;
  /** Providers replaced by test doubles, e.g. a resolver standing in for DNS. */
  overrides?: Array<{ provide: Type<unknown>; useValue: unknown }>;
}

export function testConfig(env: Record<string, string> = {}): AppConfig {
  const databaseUrl = process.env.TEST_DATABASE_URL;
  if (!databaseUrl) throw new Error('TEST_DATABASE_URL is not set: run the e2e project (global setup)');
  return loadAppConfig({
    NODE_ENV: 'test',
    PORT: '0',
    DATABASE_URL: databaseUrl,
    REDIS_URL: process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379',
    JWT_SECRET: TEST_JWT_SECRET,
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
    ...env,
  });
}

/** Boots the real application (real PostgreSQL, Redis, Stripe SDK) on an ephemeral port. */
export async function createTestApp(options: TestAppOptions = {}): Promise<TestApp> {
  const config = testConfig(options.env);
  let builder = Test.createTestingModule({
    imports: [AppModule.forRoot(config), ...(options.metadata?.imports ?? [])],
    controllers: options.metadata?.controllers ?? [],
    providers: options.metadata?.providers ?? [],
  });
  for (const { provide, useValue } of options.overrides ?? []) {
    builder = builder.overrideProvider(provide).useValue(useValue);
  }
  const moduleRef = await builder.compile();
  const app = moduleRef.createNestApplication<NestFastifyApplication>(createHttpAdapter(), {
    rawBody: true,
    bufferLogs: true,
  });
  configureApp(app);
  await app.listen(0, '127.0.0.1');
  return { app, http: app.getHttpServer(), config, close: () => app.close() };
}
