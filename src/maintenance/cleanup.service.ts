import { Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { AppConfig } from '../config/app-config';
import { EventsService } from '../events';
import { IdempotencyService } from '../idempotency';
import { ExclusiveJobRunner } from '../scheduling';
import { WebhookInboxService } from '../webhooks';

export interface CleanupOptions {
  retentionDays?: number;
  eventRetentionDays?: number;
  /** Small batches keep each lock and WAL burst short. */
  batchSize?: number;
}

export interface CleanupSummary {
  ran: boolean;
  idempotencyRecords: number;
  webhookEvents: number;
  tenantEvents: number;
}

const JOB = 'cleanup';
export const DEFAULT_CLEANUP_BATCH_SIZE = 1000;

/** Each batch is its own statement, so two concurrent runs only split the work (docs/operations.md). */
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
