import { Module } from '@nestjs/common';
import { ExclusiveJobRunner } from './exclusive-job.runner';

/** `ScheduleModule.forRoot()` is registered once, in AppModule. */
@Module({
  providers: [ExclusiveJobRunner],
  exports: [ExclusiveJobRunner],
})
export class SchedulingModule {}
