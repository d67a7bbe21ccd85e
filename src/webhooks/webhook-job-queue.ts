import { InjectQueue } from '@nestjs/bull';
import { Injectable, Logger, OnApplicationShutdown } from '@nestjs/common';
import type { Job, JobOptions, Queue } from 'bull';
import { describeError } from '../common/errors/error-like';
import { AppConfig } from '../config/app-config';
import {
  STRIPE_WEBHOOK_QUEUE,
  StripeWebhookJob,
  WEBHOOK_ENQUEUE_TIMEOUT_MS,
  WEBHOOK_RETRY_BASE_DELAY_MS,
} from './webhooks.constants';

/** Job id = event id, so a waiting job is not duplicated. Calls never throw; the sweeper catches up. */
@Injectable()
export class WebhookJobQueue implements OnApplicationShutdown {
  private readonly logger = new Logger(WebhookJobQueue.name);
  /** Enqueues still running; shutdown waits for them. */
  private readonly enqueuing = new Set<Promise<void>>();

  constructor(
    @InjectQueue(STRIPE_WEBHOOK_QUEUE) private readonly queue: Queue<StripeWebhookJob>,
    private readonly config: AppConfig,
  ) {}

  /** Runs before the webhooks module closes the queue, so no enqueue fails on a closed queue. */
  async onApplicationShutdown(): Promise<void> {
    while (this.enqueuing.size > 0) await Promise.all([...this.enqueuing]);
  }

  enqueueCommitted(eventIds: string[]): void {
    const enqueue = this.enqueueAll(eventIds).finally(() => this.enqueuing.delete(enqueue));
    this.enqueuing.add(enqueue);
  }

  /** Replaces any finished or waiting job of the event. Returns true when Bull took it. */
  async enqueueAgain(eventId: string): Promise<boolean> {
    try {
      await withTimeout(async () => {
        const existing = await this.queue.getJob(eventId);
        if (existing && !(await existing.isActive())) await existing.remove();
        await this.queue.add({ eventId }, this.jobOptions(eventId));
      }, WEBHOOK_ENQUEUE_TIMEOUT_MS);
      return true;
    } catch (error) {
      this.logger.warn(
        { eventId, err: describeError(error) },
        'Could not enqueue a webhook event; the sweeper will',
      );
      return false;
    }
  }

  /** Lost: no job (Redis down at receipt, flushed, stalled too often), or finished while unsettled. */
  async lost(eventIds: string[]): Promise<Set<string>> {
    // Concurrent look-ups share the connection's pipeline: one round trip, not one per event.
    const jobs = await Promise.all(eventIds.map((eventId) => this.queue.getJob(eventId)));
    return new Set(eventIds.filter((_eventId, index) => isLost(jobs[index])));
  }

  private async enqueueAll(eventIds: string[]): Promise<void> {
    try {
      await withTimeout(
        () =>
          this.queue.addBulk(
            eventIds.map((eventId) => ({ data: { eventId }, opts: this.jobOptions(eventId) })),
          ),
        WEBHOOK_ENQUEUE_TIMEOUT_MS,
      );
    } catch (error) {
      this.logger.warn(
        { eventIds, err: describeError(error) },
        'Could not enqueue webhook events; the sweeper will',
      );
    }
  }

  private jobOptions(eventId: string): JobOptions {
    return {
      jobId: eventId,
      attempts: this.config.webhooks.maxAttempts,
      backoff: { type: 'exponential', delay: WEBHOOK_RETRY_BASE_DELAY_MS },
      removeOnComplete: true,
      removeOnFail: true,
    };
  }
}

function isLost(job: Job<StripeWebhookJob> | null): boolean {
  return !job || job.finishedOn != null;
}

async function withTimeout(work: () => Promise<unknown>, timeoutMs: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      work(),
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`Redis did not answer within ${timeoutMs} ms`)), timeoutMs);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}
