import { Command, CommandRunner, Option } from 'nest-commander';
import { AppConfig } from '../config/app-config';
import { CleanupService, DEFAULT_CLEANUP_BATCH_SIZE } from '../maintenance';
import { CliServices } from './cli-services';
import { parsePositiveInteger, printLines } from './cli-output';

interface CleanupCommandOptions {
  retentionDays?: number;
  eventRetentionDays?: number;
  batchSize?: number;
}

@Command({
  name: 'cleanup',
  description:
    'delete expired idempotency records, processed/ignored webhook events and tenant events past their retention',
})
export class CleanupCommand extends CommandRunner {
  constructor(
    private readonly services: CliServices,
    private readonly config: AppConfig,
  ) {
    super();
  }

  async run(_params: string[], options: CleanupCommandOptions): Promise<void> {
    const cleanup = await this.services.get(CleanupService);
    const retentionDays = options.retentionDays ?? this.config.webhooks.retentionDays;
    const eventRetentionDays = options.eventRetentionDays ?? this.config.events.retentionDays;
    const summary = await cleanup.cleanup({
      retentionDays,
      eventRetentionDays,
      batchSize: options.batchSize,
    });
    if (!summary.ran) {
      printLines('cleanup skipped: another process is running it right now');
      return;
    }
    printLines(
      `payment_idempotency: ${summary.idempotencyRecords} expired record(s) deleted`,
      `webhook_inbox: ${summary.webhookEvents} processed/ignored event(s) older than ${retentionDays} day(s) deleted`,
      `events: ${summary.tenantEvents} event(s) older than ${eventRetentionDays} day(s) deleted, with their deliveries`,
    );
  }

  @Option({
    flags: '--retention-days <days>',
    description: 'keep processed/ignored webhook events this many days (default: WEBHOOK_RETENTION_DAYS)',
  })
  parseRetentionDays(value: string): number {
    return parsePositiveInteger('--retention-days', value);
  }

  @Option({
    flags: '--event-retention-days <days>',
    description: 'keep tenant events this many days (default: EVENT_RETENTION_DAYS)',
  })
  parseEventRetentionDays(value: string): number {
    return parsePositiveInteger('--event-retention-days', value);
  }

  @Option({
    flags: '--batch-size <rows>',
    description: `rows deleted per statement (default: ${DEFAULT_CLEANUP_BATCH_SIZE})`,
  })
  parseBatchSize(value: string): number {
    return parsePositiveInteger('--batch-size', value);
  }
}
