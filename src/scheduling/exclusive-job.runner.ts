import { Injectable, Logger } from '@nestjs/common';
import { SchedulerRegistry } from '@nestjs/schedule';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { describeError } from '../common/errors/error-like';

export type ExclusiveRun<T> = { ran: true; result: T } | { ran: false };

// First key of every job lock: keeps them apart from other advisory locks in the database.
const JOB_LOCK_NAMESPACE = 736_194;

/**
 * Runs a job in one process at a time across every instance sharing the database. The lock is
 * a session-level `pg_try_advisory_lock` on a connection held for the run: a job spends most
 * of its time waiting on Stripe, and a transaction-level lock would keep a transaction open
 * (and its snapshot and row versions pinned) for all of it. If the connection dies the lock
 * goes with it, so a crashed run never blocks the next one; jobs are written to be safe to
 * run twice regardless.
 */
@Injectable()
export class ExclusiveJobRunner {
  private readonly logger = new Logger(ExclusiveJobRunner.name);

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly registry: SchedulerRegistry,
  ) {}

  /** Runs `work` unless another process (or another run in this one) holds the job's lock. */
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

  /**
   * Calls `tick` every `everySeconds` until the application shuts down (the scheduler clears
   * its intervals then). `tick` takes the job's lock itself, through `run`, so a CLI or a test
   * calling the same method is serialised with the schedule. A failed tick is logged; the next
   * one tries again.
   */
  schedule(job: string, everySeconds: number, tick: () => Promise<unknown>): void {
    const onTick = () => {
      tick().catch((error: unknown) =>
        this.logger.error({ job, err: describeError(error) }, 'Scheduled job failed'),
      );
    };
    this.registry.addInterval(job, setInterval(onTick, everySeconds * 1000));
  }
}
