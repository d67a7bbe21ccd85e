import { DynamicModule, Module } from '@nestjs/common';
import { AppConfig } from '../config/app-config';
import { IdempotencyModule } from '../idempotency';
import { SchedulingModule } from '../scheduling/scheduling.module';
import { WebhooksModule } from '../webhooks/webhooks.module';
import { CleanupService } from './cleanup.service';

/** Housekeeping jobs: the cleanup, scheduled in worker processes and run on demand by the CLI. */
@Module({})
export class MaintenanceModule {
  /** `config` must be the one the application was built with: `WebhooksModule` is then the same module. */
  static forRoot(config: AppConfig): DynamicModule {
    return {
      module: MaintenanceModule,
      imports: [SchedulingModule, IdempotencyModule, WebhooksModule.forRoot(config)],
      providers: [CleanupService],
      exports: [CleanupService],
    };
  }
}
