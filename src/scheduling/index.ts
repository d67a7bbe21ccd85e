export { ExclusiveJobRunner } from './exclusive-job.runner';
export { SchedulingModule } from './scheduling.module';
