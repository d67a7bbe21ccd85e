import { Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { InjectMetric, makeCounterProvider } from '@willsoto/nestjs-prometheus';
import type { Counter } from 'prom-client';
import { describeError } from '../common/errors/error-like';
import { AppConfig } from '../config/app-config';
import { withEventCause } from '../events';
import { PaymentsService, PaymentStatus } from '../payments';
import { isMismatch, RefundComparison, RefundsService, RefundStatus, RefundSync } from '../refunds';
import { ExclusiveJobRunner } from '../scheduling';

/** Repaired, or in a dry run only found. */
export type ReconciliationFinding =
  | {
      kind: 'refunds';
      paymentId: string;
      tenantId: string;
      ours: number;
      stripe: number;
      refunds: Array<{
        stripeRefundId: string;
        amount: number;
        ours: RefundStatus | null;
        stripe: RefundStatus;
      }>;
    }
  | { kind: 'stuck_refund'; refundId: string; paymentId: string; outcome: 'settled' | 'released' }
  | { kind: 'payment'; paymentId: string; ours: PaymentStatus; stripe: PaymentStatus };

export interface ReconciliationSummary {
  /** False when another process held the run. */
  ran: boolean;
  /** Nothing was changed; the counts say what a run would have done. */
  dryRun: boolean;
  refundsSettled: number;
  refundsReleased: number;
  paymentsUpdated: number;
  refundMismatches: number;
  /** Rows that could not be reconciled this time (Stripe unreachable, say); the next run retries them. */
  errors: number;
  findings: ReconciliationFinding[];
}

export const RECONCILIATION_MISMATCHES = 'reconciliation_mismatches_total';

export const reconciliationMetricProviders = [
  makeCounterProvider({
    name: RECONCILIATION_MISMATCHES,
    help: 'Differences between the ledger and Stripe found by reconciliation (dry runs included), by kind',
    labelNames: ['kind'],
  }),
];

const JOB = 'reconciliation';
const BATCH_SIZE = 100;
/** The most findings a summary keeps; each is logged as it is found. */
const MAX_FINDINGS = 1000;
const DAY_MS = 86_400_000;

/**
 * Brings the ledger in line with Stripe by asking it: refunds left `pending` by an unknown outcome and
 * payments left `processing` / `requires_action`, once untouched for `RECONCILE_AFTER_SECONDS`, and every
 * payment whose refunds differ from Stripe's within `RECONCILE_REFUND_LOOKBACK_DAYS`, which catches refunds
 * whose events never arrived.
 */
@Injectable()
export class ReconciliationService implements OnApplicationBootstrap {
  private readonly logger = new Logger(ReconciliationService.name);

  constructor(
    private readonly config: AppConfig,
    private readonly jobs: ExclusiveJobRunner,
    private readonly refunds: RefundsService,
    private readonly refundSync: RefundSync,
    private readonly payments: PaymentsService,
    @InjectMetric(RECONCILIATION_MISMATCHES) private readonly mismatches: Counter<string>,
  ) {}

  onApplicationBootstrap(): void {
    if (!this.config.runsWorkers) return;
    this.jobs.schedule(JOB, this.config.reconciliation.intervalSeconds, () => this.reconcile());
  }

  /** Safe to call at any time; skipped while another process runs. A dry run changes nothing. */
  async reconcile(options: { dryRun?: boolean } = {}): Promise<ReconciliationSummary> {
    const dryRun = options.dryRun ?? false;
    const startedAt = Date.now();
    const run = await this.jobs.run(JOB, () =>
      withEventCause({ kind: 'reconciliation' }, async () => {
        const state: RunState = { summary: emptySummary(dryRun), compared: new Set() };
        await this.stuckRefunds(state);
        await this.differingRefunds(state);
        await this.unsettledPayments(state);
        return state.summary;
      }),
    );
    if (!run.ran) {
      this.logger.log({ job: JOB }, 'Reconciliation skipped: another process is running it');
      return { ...emptySummary(dryRun), ran: false };
    }
    const { findings, ...counts } = run.result;
    this.logger.log(
      { job: JOB, ...counts, findings: findings.length, durationMs: Date.now() - startedAt },
      'Reconciliation finished',
    );
    return run.result;
  }

  /** API refunds whose Stripe outcome was lost: linked to the refund Stripe made, or released. */
  private async stuckRefunds(state: RunState): Promise<void> {
    const afterSeconds = this.config.reconciliation.afterSeconds;
    for (let batch = await this.refunds.findStuck(afterSeconds, BATCH_SIZE); batch.length > 0;) {
      for (const stuck of batch) {
        try {
          const { outcome, comparison } = await this.refunds.reconcile(
            stuck,
            afterSeconds,
            state.summary.dryRun,
          );
          if (comparison) this.refundsCompared(state, comparison);
          if (outcome === 'unchanged') continue;
          state.summary[outcome === 'settled' ? 'refundsSettled' : 'refundsReleased'] += 1;
          this.found(state, {
            kind: 'stuck_refund',
            refundId: stuck.id,
            paymentId: stuck.paymentId,
            outcome,
          });
        } catch (error) {
          this.failed(state, { refundId: stuck.id }, error);
        }
      }
      batch = await this.refunds.findStuck(afterSeconds, BATCH_SIZE, batch[batch.length - 1]);
    }
  }

  private async differingRefunds(state: RunState): Promise<void> {
    const since = new Date(Date.now() - this.config.reconciliation.refundLookbackDays * DAY_MS);
    try {
      for await (const payments of this.refundSync.paymentsDifferingSince(since)) {
        for (const payment of payments) {
          if (state.compared.has(payment.id)) continue;
          try {
            const comparison = state.summary.dryRun
              ? await this.refundSync.compare(payment)
              : await this.refundSync.sync(payment);
            if (comparison) this.refundsCompared(state, comparison);
          } catch (error) {
            this.failed(state, { paymentId: payment.id }, error);
          }
        }
      }
    } catch (error) {
      this.failed(state, { pass: 'refunds' }, error);
    }
  }

  /** Moves payments left `processing` / `requires_action` to where their PaymentIntent stands. */
  private async unsettledPayments(state: RunState): Promise<void> {
    const afterSeconds = this.config.reconciliation.afterSeconds;
    for (let batch = await this.payments.findUnsettled(afterSeconds, BATCH_SIZE); batch.length > 0;) {
      for (const payment of batch) {
        try {
          const move = await this.payments.reconcile(payment, state.summary.dryRun);
          if (!move) continue;
          state.summary.paymentsUpdated += 1;
          this.found(state, { kind: 'payment', paymentId: payment.id, ours: move.from, stripe: move.to });
        } catch (error) {
          this.failed(state, { paymentId: payment.id }, error);
        }
      }
      batch = await this.payments.findUnsettled(afterSeconds, BATCH_SIZE, batch[batch.length - 1]);
    }
  }

  private refundsCompared(state: RunState, comparison: RefundComparison): void {
    state.compared.add(comparison.paymentId);
    if (!isMismatch(comparison)) return;
    state.summary.refundMismatches += 1;
    this.found(state, {
      kind: 'refunds',
      paymentId: comparison.paymentId,
      tenantId: comparison.tenantId,
      ours: comparison.ours,
      stripe: comparison.stripe,
      refunds: comparison.changes.map((change) => ({
        stripeRefundId: change.stripe.id,
        amount: change.stripe.amount,
        ours: change.kind === 'record' ? null : change.from,
        stripe: change.stripe.status,
      })),
    });
  }

  private found(state: RunState, finding: ReconciliationFinding): void {
    this.mismatches.inc({ kind: finding.kind });
    this.logger.warn(
      { job: JOB, dryRun: state.summary.dryRun, ...finding },
      'Reconciliation: the ledger differed from Stripe',
    );
    if (state.summary.findings.length < MAX_FINDINGS) state.summary.findings.push(finding);
  }

  private failed(state: RunState, what: Record<string, string>, error: unknown): void {
    state.summary.errors += 1;
    this.logger.warn({ job: JOB, ...what, err: describeError(error) }, 'Could not reconcile');
  }
}

interface RunState {
  summary: ReconciliationSummary;
  compared: Set<string>;
}

function emptySummary(dryRun: boolean): ReconciliationSummary {
  return {
    ran: true,
    dryRun,
    refundsSettled: 0,
    refundsReleased: 0,
    paymentsUpdated: 0,
    refundMismatches: 0,
    errors: 0,
    findings: [],
  };
}
