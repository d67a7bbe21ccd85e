import { Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { describeError } from '../common/errors/error-like';
import { AppConfig } from '../config/app-config';
import { PaymentsService } from '../payments/payments.service';
import { RefundsService } from '../refunds/refunds.service';
import { ExclusiveJobRunner } from '../scheduling/exclusive-job.runner';

export interface ReconciliationSummary {
  /** False when another process was running it: nothing was looked at. */
  ran: boolean;
  refundsSettled: number;
  refundsReleased: number;
  paymentsUpdated: number;
  /** Rows that could not be reconciled this time (Stripe unreachable, …); the next run retries them. */
  errors: number;
}

const JOB = 'reconciliation';
const BATCH_SIZE = 100;

/**
 * Settles what an unknown Stripe outcome left open (SPEC §8), by asking Stripe: refunds left
 * `pending` without a Stripe refund, and payments left `processing` / `requires_action`, once
 * their row has not moved for `RECONCILE_AFTER_SECONDS`. Scheduled every
 * `RECONCILE_INTERVAL_SECONDS` in processes that run workers, one process at a time.
 */
@Injectable()
export class ReconciliationService implements OnApplicationBootstrap {
  private readonly logger = new Logger(ReconciliationService.name);

  constructor(
    private readonly config: AppConfig,
    private readonly jobs: ExclusiveJobRunner,
    private readonly refunds: RefundsService,
    private readonly payments: PaymentsService,
  ) {}

  onApplicationBootstrap(): void {
    if (!this.config.runsWorkers) return;
    this.jobs.schedule(JOB, this.config.reconciliation.intervalSeconds, () => this.reconcile());
  }

  /** One run, unless another process is running one; safe to call at any time (a CLI, a test). */
  async reconcile(): Promise<ReconciliationSummary> {
    const startedAt = Date.now();
    const run = await this.jobs.run(JOB, () => this.reconcileAll());
    if (!run.ran) {
      this.logger.log({ job: JOB }, 'Reconciliation skipped: another process is running it');
      return { ran: false, refundsSettled: 0, refundsReleased: 0, paymentsUpdated: 0, errors: 0 };
    }
    const summary = { ran: true, ...run.result };
    this.logger.log({ job: JOB, ...summary, durationMs: Date.now() - startedAt }, 'Reconciliation finished');
    return summary;
  }

  private async reconcileAll(): Promise<Omit<ReconciliationSummary, 'ran'>> {
    const afterSeconds = this.config.reconciliation.afterSeconds;
    const counts = { refundsSettled: 0, refundsReleased: 0, paymentsUpdated: 0, errors: 0 };

    for (let batch = await this.refunds.findStuck(afterSeconds, BATCH_SIZE); batch.length > 0;) {
      for (const refund of batch) {
        try {
          const outcome = await this.refunds.reconcile(refund, afterSeconds);
          if (outcome === 'settled') counts.refundsSettled += 1;
          if (outcome === 'released') counts.refundsReleased += 1;
        } catch (error) {
          counts.errors += 1;
          this.logger.warn(
            { refundId: refund.id, err: describeError(error) },
            'Could not reconcile a refund',
          );
        }
      }
      batch = await this.refunds.findStuck(afterSeconds, BATCH_SIZE, batch[batch.length - 1]);
    }

    for (let batch = await this.payments.findUnsettled(afterSeconds, BATCH_SIZE); batch.length > 0;) {
      for (const payment of batch) {
        try {
          if (await this.payments.reconcile(payment)) counts.paymentsUpdated += 1;
        } catch (error) {
          counts.errors += 1;
          this.logger.warn(
            { paymentId: payment.id, err: describeError(error) },
            'Could not reconcile a payment',
          );
        }
      }
      batch = await this.payments.findUnsettled(afterSeconds, BATCH_SIZE, batch[batch.length - 1]);
    }
    return counts;
  }
}
