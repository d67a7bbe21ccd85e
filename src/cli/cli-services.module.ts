import { DynamicModule, Module } from '@nestjs/common';
import { BullModule } from '@nestjs/bull';
import { ScheduleModule } from '@nestjs/schedule';
import { AppConfig } from '../config/app-config';
import { DatabaseModule } from '../database/database.module';
import { MaintenanceModule } from '../maintenance/maintenance.module';
import { ReconciliationModule } from '../reconciliation/reconciliation.module';
import { RateLimitModule } from '../rate-limit';
import { RedisModule } from '../redis/redis.module';
import { WebhooksModule } from '../webhooks/webhooks.module';

/**
 * What the commands work with: the database, Redis and Bull, and the services they call. Loaded
 * lazily by the first command that needs it, so `--help` or a usage error opens no connection.
 * `ScheduleModule` is here for the registry `ExclusiveJobRunner` takes locks beside; nothing is
 * scheduled, because the CLI's configuration (`role: 'cli'`) turns every schedule off.
 */
@Module({})
export class CliServicesModule {
  static forRoot(config: AppConfig): DynamicModule {
    const webhooks = WebhooksModule.forRoot(config);
    return {
      module: CliServicesModule,
      imports: [
        DatabaseModule,
        RedisModule,
        BullModule.forRootAsync({
          inject: [AppConfig],
          useFactory: (config: AppConfig) => ({ url: config.redisUrl }),
        }),
        ScheduleModule.forRoot(),
        // The payments module's controllers carry rate-limit guards, resolved even where nothing serves them.
        RateLimitModule,
        webhooks,
        MaintenanceModule.forRoot(webhooks),
        ReconciliationModule,
      ],
    };
  }
}
