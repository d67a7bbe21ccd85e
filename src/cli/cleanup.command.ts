import { Command, CommandRunner, Option } from 'nest-commander';
import { AppConfig } from '../config/app-config';
import { CleanupService, DEFAULT_CLEANUP_BATCH_SIZE } from '../maintenance';
import { CliServices } from './cli-services';
import { parsePositiveInteger, printLines } from './cli-output';

interface CleanupCommandOptions {
  retentionDays?: number;
  batchSize?: number;
}

@Command({
  name: 'cleanup',
  description: 'delete expired idempotency records and processed/ignored webhook events past the retention',
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
    const summary = await cleanup.cleanup({ retentionDays, batchSize: options.batchSize });
    if (!summary.ran) {
      printLines('cleanup skipped: another process is running it right now');
      return;
    }
    printLines(
      `payment_idempotency: ${summary.idempotencyRecords} expired record(s) deleted`,
      `webhook_inbox: ${summary.webhookEvents} processed/ignored event(s) older than ${retentionDays} day(s) deleted`,
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
    flags: '--batch-size <rows>',
    description: `rows deleted per statement (default: ${DEFAULT_CLEANUP_BATCH_SIZE})`,
  })
  parseBatchSize(value: string): number {
    return parsePositiveInteger('--batch-size', value);
  }
}
