import { Injectable, Logger } from '@nestjs/common';
import { SchedulerRegistry } from '@nestjs/schedule';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { describeError } from '../common/errors/error-like';

export type ExclusiveRun<T> = { ran: true; result: T } | { ran: false };

// First key of every job lock, keeping them apart from other advisory locks in the database.
const JOB_LOCK_NAMESPACE = 736_194;

/**
 * A session-level advisory lock on a connection held for the run: jobs mostly wait on Stripe, and a
 * transaction-level lock would pin a snapshot throughout. The lock dies with the connection, and jobs are
 * safe to run twice regardless.
 */
@Injectable()
export class ExclusiveJobRunner {
  private readonly logger = new Logger(ExclusiveJobRunner.name);

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly registry: SchedulerRegistry,
  ) {}

  /** Skips `work` when another process, or another run in this one, holds the lock. */
  async run<T>(job: string, work: () => Promise<T>): Promise<ExclusiveRun<T>> {
    const connection = this.dataSource.createQueryRunner();
    try {
      await connection.connect();
      const [{ locked }] = (await connection.query(
        'SELECT pg_try_advisory_lock($1, hashtext($2)) AS locked',
        [JOB_LOCK_NAMESPACE, job],
      )) as Array<{ locked: boolean }>;
      if (!locked) return { ran: false };
      try {
        return { ran: true, result: await work() };
      } finally {
        await connection.query('SELECT pg_advisory_unlock($1, hashtext($2))', [JOB_LOCK_NAMESPACE, job]);
      }
    } finally {
      await connection.release();
    }
  }

  /** `tick` takes the lock itself, so a CLI run of the same method is serialised with the schedule. */
  schedule(job: string, everySeconds: number, tick: () => Promise<unknown>): void {
    const onTick = () => {
      tick().catch((error: unknown) =>
        this.logger.error({ job, err: describeError(error) }, 'Scheduled job failed'),
      );
    };
    this.registry.addInterval(job, setInterval(onTick, everySeconds * 1000));
  }
}
