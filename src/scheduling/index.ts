// The scheduling module's public entry: other modules import from here, never from its files.
export { ExclusiveJobRunner } from './exclusive-job.runner';
export { SchedulingModule } from './scheduling.module';
