import { DynamicModule, Module } from '@nestjs/common';
import { EventsModule } from '../events';
import { IdempotencyModule } from '../idempotency';
import { SchedulingModule } from '../scheduling';
import { CleanupService } from './cleanup.service';

@Module({})
export class MaintenanceModule {
  /**
   * The app's own `WebhooksModule.forRoot(…)` object: a second instance would register the processor twice.
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
