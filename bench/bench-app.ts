import 'reflect-metadata';
import type { AddressInfo } from 'node:net';
import { DynamicModule, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { AppModule } from '../src/app.module';
import { configureApp } from '../src/app.setup';
import { loadAppConfig } from '../src/config/app-config';
import { BenchModule } from './bench.module';
import {
  BENCH_DATABASE_URL,
  BENCH_JWT_SECRET,
  BENCH_REDIS_URL,
  BENCH_WEBHOOK_SECRET,
  isControlMessage,
  ServerMessage,
} from './bench-protocol';

/**
 * The server side of `npm run bench`, forked by `run.ts` so the load generator and the
 * application do not share one event loop. Boots the real application (real PostgreSQL and
 * Redis, the same `configureApp` as `main.ts`) plus the bench routes on a free loopback port,
 * reports the port over IPC and exits when told to, when its parent goes away, or after
 * MAX_LIFETIME_MS whatever happens.
 */
const MAX_LIFETIME_MS = 180_000;
const CLOSE_GRACE_MS = 5_000;

@Module({})
class BenchAppModule {
  static forRoot(): DynamicModule {
    const config = loadAppConfig({
      NODE_ENV: 'test',
      PORT: '0',
      DATABASE_URL: BENCH_DATABASE_URL,
      REDIS_URL: BENCH_REDIS_URL,
      JWT_SECRET: BENCH_JWT_SECRET,
      STRIPE_WEBHOOK_SECRET: BENCH_WEBHOOK_SECRET,
      // Events are acknowledged (stored, enqueued) but not processed: processing would compete for the cores.
      WORKER_MODE: 'api',
      LOG_LEVEL: 'silent',
    });
    return { module: BenchAppModule, imports: [AppModule.forRoot(config), BenchModule] };
  }
}

function send(message: ServerMessage): void {
  process.send?.(message);
}

async function main(): Promise<void> {
  if (!process.send) throw new Error('bench/bench-app.ts is started by bench/run.ts (npm run bench)');
  setTimeout(() => process.exit(2), MAX_LIFETIME_MS).unref();

  const app = await NestFactory.create<NestExpressApplication>(BenchAppModule.forRoot(), {
    bufferLogs: true,
    rawBody: true,
  });
  configureApp(app);
  await app.listen(0, '127.0.0.1');

  let closing = false;
  const shutdown = (): void => {
    if (closing) return;
    closing = true;
    setTimeout(() => process.exit(1), CLOSE_GRACE_MS).unref();
    app.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.on('message', (message: unknown) => {
    if (isControlMessage(message)) shutdown();
  });
  process.on('disconnect', shutdown);

  const { port } = app.getHttpServer().address() as AddressInfo;
  send({ type: 'ready', port });
}

main().catch((error: unknown) => {
  const description = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  process.stderr.write(`bench server failed: ${description}\n`);
  send({ type: 'failed', error: description });
  process.exit(1);
});
