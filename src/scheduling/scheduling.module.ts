import { Module } from '@nestjs/common';
import { ExclusiveJobRunner } from './exclusive-job.runner';

/** Jobs that run in one process at a time; `ScheduleModule.forRoot()` is registered once, in AppModule. */
@Module({
  providers: [ExclusiveJobRunner],
  exports: [ExclusiveJobRunner],
})
export class SchedulingModule {}
