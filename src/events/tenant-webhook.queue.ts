import { InjectQueue } from '@nestjs/bull';
import { Injectable, Logger, OnApplicationShutdown } from '@nestjs/common';
import type { JobOptions, Queue } from 'bull';
import { describeError } from '../common/errors/error-like';

export const TENANT_WEBHOOK_QUEUE = 'tenant-webhooks';

/** Creates the deliveries of committed events. */
export const RELAY_JOB = 'relay';
export const DELIVER_JOB = 'deliver';

export interface RelayJob {
  eventIds: string[];
}

export interface DeliverJob {
  deliveryId: string;
}

export const HANDOFF_TIMEOUT_MS = 1000;

export interface QueuedJob {
  name: typeof RELAY_JOB | typeof DELIVER_JOB;
  data: RelayJob | DeliverJob;
  /** Bull keeps one job per id: a job already waiting is not added twice. */
  jobId: string;
}

/** Jobs are records of work the database holds anyway: none is kept once run. */
const JOB_OPTIONS: JobOptions = { attempts: 1, removeOnComplete: true, removeOnFail: true };

/**
 * Hand-offs are bounded in time and never throw: with Redis down or slow, the work stays in PostgreSQL (an
 * event not relayed, a delivery due) and the sweepers hand it over again.
 */
@Injectable()
export class TenantWebhookQueue implements OnApplicationShutdown {
  private readonly logger = new Logger(TenantWebhookQueue.name);
  private readonly handingOff = new Set<Promise<boolean>>();

  constructor(@InjectQueue(TENANT_WEBHOOK_QUEUE) private readonly queue: Queue) {}

  async onApplicationShutdown(): Promise<void> {
    while (this.handingOff.size > 0) await Promise.all([...this.handingOff]);
  }

  handOff(jobs: readonly QueuedJob[]): Promise<boolean> {
    if (jobs.length === 0) return Promise.resolve(true);
    const handOff = this.addBulk(jobs).finally(() => this.handingOff.delete(handOff));
    this.handingOff.add(handOff);
    return handOff;
  }

  private async addBulk(jobs: readonly QueuedJob[]): Promise<boolean> {
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        this.queue.addBulk(
          jobs.map((job) => ({ name: job.name, data: job.data, opts: { ...JOB_OPTIONS, jobId: job.jobId } })),
        ),
        new Promise<never>((_, reject) => {
          timer = setTimeout(
            () => reject(new Error(`Redis did not answer within ${HANDOFF_TIMEOUT_MS} ms`)),
            HANDOFF_TIMEOUT_MS,
          );
        }),
      ]);
      return true;
    } catch (error) {
      this.logger.warn(
        { jobs: jobs.length, name: jobs[0].name, err: describeError(error) },
        'Could not hand outgoing webhook work to the queue; the sweeper will',
      );
      return false;
    } finally {
      clearTimeout(timer);
    }
  }
}
