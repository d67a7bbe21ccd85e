import { Module } from '@nestjs/common';
import { IdempotencyModule } from '../idempotency';
import { SchedulingModule } from '../scheduling/scheduling.module';
import { CleanupService } from './cleanup.service';

/** Housekeeping jobs: the cleanup, scheduled in worker processes and run on demand by the CLI. */
@Module({
  imports: [SchedulingModule, IdempotencyModule],
  providers: [CleanupService],
  exports: [CleanupService],
})
export class MaintenanceModule {}
