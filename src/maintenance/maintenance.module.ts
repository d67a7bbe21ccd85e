import { DynamicModule, Module } from '@nestjs/common';
import { EventsModule } from '../events';
import { IdempotencyModule } from '../idempotency';
import { SchedulingModule } from '../scheduling';
import { CleanupService } from './cleanup.service';

/** Housekeeping jobs: the cleanup, scheduled in worker processes and run on demand by the CLI. */
@Module({})
export class MaintenanceModule {
  /**
   * `webhooks` is the application's own `WebhooksModule.forRoot(…)` object: Nest tells dynamic
   * modules apart by reference, and a second instance would register the queue processor twice.
   */
  static forRoot(webhooks: DynamicModule): DynamicModule {
    return {
      module: MaintenanceModule,
      imports: [SchedulingModule, IdempotencyModule, EventsModule, webhooks],
      providers: [CleanupService],
      exports: [CleanupService],
    };
  }
}
