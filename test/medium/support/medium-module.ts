import { ModuleMetadata } from '@nestjs/common';
import { Test, TestingModule } from '@nestjs/testing';
import { getDataSourceToken } from '@nestjs/typeorm';
import type Redis from 'ioredis';
import { DataSource } from 'typeorm';
import { AppConfig } from '../../../src/config/app-config';
import { ConfigModule } from '../../../src/config/config.module';
import { DatabaseModule } from '../../../src/database/database.module';
import { ENTITIES } from '../../../src/entities';
import { MetricsModule } from '../../../src/metrics/metrics.module';
import { RateLimitModule } from '../../../src/rate-limit';
import { RedisModule } from '../../../src/redis/redis.module';
import { closeBullQueueConnections } from '../../../src/redis/bull-queue-options';
import { REDIS_CLIENT } from '../../../src/redis/redis.constants';
import { StripeGateway } from '../../../src/stripe/stripe.gateway';
import { testConfig } from '../../support/test-app';
import { FakeStripeGateway } from './fake-stripe.gateway';

export interface MediumModule {
  moduleRef: TestingModule;
  config: AppConfig;
  dataSource: DataSource;
  redis: Redis;
  stripe: FakeStripeGateway;
  close(): Promise<void>;
}

/**
 * The modules under test wired as the app wires them (config from `loadAppConfig`, the
 * project's data source with its migrations, the shared Redis), without HTTP, and with
 * `StripeGateway` replaced by a fake each test programs.
 */
export async function createMediumModule(
  imports: NonNullable<ModuleMetadata['imports']>,
  env: Record<string, string> = {},
): Promise<MediumModule> {
  // A secret key and an API URL keep StripeModule from starting its sandbox emulator; the
  // SDK client it builds is never called, the gateway being the fake.
  const config = testConfig({
    STRIPE_SECRET_KEY: 'sk_test_medium',
    STRIPE_API_URL: 'http://127.0.0.1:9',
    ...env,
  });
  const stripe = new FakeStripeGateway();
  const moduleRef = await Test.createTestingModule({
    imports: [
      ConfigModule.forRoot(config),
      DatabaseModule.forRoot(ENTITIES),
      RedisModule,
      MetricsModule,
      RateLimitModule,
      ...imports,
    ],
  })
    .overrideProvider(StripeGateway)
    .useValue(stripe)
    .compile();
  // Takeovers and lost leases are logged as warnings by design; they are what these tests provoke.
  moduleRef.useLogger(false);
  await moduleRef.init();
  return {
    moduleRef,
    config,
    dataSource: moduleRef.get<DataSource>(getDataSourceToken()),
    redis: moduleRef.get<Redis>(REDIS_CLIENT),
    stripe,
    // The app's webhooks module closes the Bull connections the events module's queue opened;
    // the modules under test here may not include it.
    close: async () => {
      await moduleRef.close();
      closeBullQueueConnections(config);
    },
  };
}
