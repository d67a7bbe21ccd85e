import { Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { AppConfig } from '../config/app-config';
import { EventsService } from '../events';
import { IdempotencyService } from '../idempotency';
import { ExclusiveJobRunner } from '../scheduling';
import { WebhookInboxService } from '../webhooks';

export interface CleanupOptions {
  /** Processed and ignored webhook events older than this many days are removed. */
  retentionDays?: number;
  /** Tenant events older than this many days are removed, with their deliveries. */
  eventRetentionDays?: number;
  /** Rows removed per statement: small batches keep each lock and WAL burst short. */
  batchSize?: number;
}

export interface CleanupSummary {
  /** False when another process was running it: nothing was removed. */
  ran: boolean;
  idempotencyRecords: number;
  webhookEvents: number;
  tenantEvents: number;
}

const JOB = 'cleanup';
export const DEFAULT_CLEANUP_BATCH_SIZE = 1000;

/**
 * Removes what the service no longer needs (docs/operations.md): idempotency records past their expiry,
 * webhook inbox rows `processed`/`ignored` past the retention, and tenant events (with their
 * deliveries) past `EVENT_RETENTION_DAYS`. Scheduled every
 * `CLEANUP_INTERVAL_SECONDS` in processes that run workers, one process at a time; the CLI runs
 * the same method. Each batch is its own statement, so two runs at once only split the work.
 */
@Injectable()
export class CleanupService implements OnApplicationBootstrap {
  private readonly logger = new Logger(CleanupService.name);

  constructor(
    private readonly config: AppConfig,
    private readonly jobs: ExclusiveJobRunner,
    private readonly idempotency: IdempotencyService,
    private readonly inbox: WebhookInboxService,
    private readonly events: EventsService,
  ) {}

  onApplicationBootstrap(): void {
    if (!this.config.runsWorkers) return;
    this.jobs.schedule(JOB, this.config.cleanup.intervalSeconds, () => this.cleanup());
  }

  async cleanup(options: CleanupOptions = {}): Promise<CleanupSummary> {
    const batchSize = options.batchSize ?? DEFAULT_CLEANUP_BATCH_SIZE;
    const retentionDays = options.retentionDays ?? this.config.webhooks.retentionDays;
    const eventRetentionDays = options.eventRetentionDays ?? this.config.events.retentionDays;
    const startedAt = Date.now();
    const run = await this.jobs.run(JOB, async () => ({
      idempotencyRecords: await deleteInBatches(batchSize, (limit) => this.idempotency.deleteExpired(limit)),
      webhookEvents: await this.inbox.deleteFinishedOlderThan(retentionDays, batchSize),
      tenantEvents: await this.events.deleteOlderThan(eventRetentionDays, batchSize),
    }));
    if (!run.ran) {
      this.logger.log({ job: JOB }, 'Cleanup skipped: another process is running it');
      return { ran: false, idempotencyRecords: 0, webhookEvents: 0, tenantEvents: 0 };
    }
    const summary = { ran: true, ...run.result };
    this.logger.log({ job: JOB, ...summary, durationMs: Date.now() - startedAt }, 'Cleanup finished');
    return summary;
  }
}

async function deleteInBatches(
  batchSize: number,
  deleteBatch: (limit: number) => Promise<number>,
): Promise<number> {
  let total = 0;
  for (;;) {
    const removed = await deleteBatch(batchSize);
    total += removed;
    if (removed < batchSize) return total;
  }
}
