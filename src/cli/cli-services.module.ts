import { DynamicModule, Module } from '@nestjs/common';
import { BullModule } from '@nestjs/bull';
import { ScheduleModule } from '@nestjs/schedule';
import { AppConfig } from '../config/app-config';
import { DatabaseModule } from '../database/database.module';
import { ENTITIES } from '../entities';
import { MaintenanceModule } from '../maintenance';
import { ReconciliationModule } from '../reconciliation';
import { RateLimitModule } from '../rate-limit';
import { RedisModule } from '../redis/redis.module';
import { WebhooksModule } from '../webhooks';

/** Loaded lazily, so `--help` or a usage error opens no connection; `role: 'cli'` schedules nothing. */
@Module({})
export class CliServicesModule {
  static forRoot(config: AppConfig): DynamicModule {
    const webhooks = WebhooksModule.forRoot(config);
    return {
      module: CliServicesModule,
      imports: [
        DatabaseModule.forRoot(ENTITIES),
        RedisModule,
        BullModule.forRootAsync({
          inject: [AppConfig],
          useFactory: (config: AppConfig) => ({ url: config.redisUrl }),
        }),
        ScheduleModule.forRoot(),
        // The payments controllers' rate-limit guards are resolved even where nothing serves them.
        RateLimitModule,
        webhooks,
        MaintenanceModule.forRoot(webhooks),
        ReconciliationModule,
      ],
    };
  }
}
