import { Command, CommandRunner, Option } from 'nest-commander';
import { AppConfig } from '../config/app-config';
import { ReconciliationFinding, ReconciliationService } from '../reconciliation';
import { CliServices } from './cli-services';
import { CliUsageError, printLines } from './cli-output';

interface ReconcileOptions {
  dryRun?: boolean;
}

@Command({
  name: 'reconcile',
  description:
    'bring the ledger to Stripe once: stuck refunds, unfinished payments, refunds that differ from Stripe’s (--dry-run: print every difference, change nothing)',
})
export class ReconcileCommand extends CommandRunner {
  constructor(
    private readonly services: CliServices,
    private readonly config: AppConfig,
  ) {
    super();
  }

  async run(_args: string[], options: ReconcileOptions): Promise<void> {
    // The sandbox emulator lives inside the running service; a command would ask an empty one.
    if (this.config.stripe.sandbox && !this.config.stripe.apiUrl) {
      throw new CliUsageError(
        'reconcile needs Stripe: set STRIPE_SECRET_KEY or STRIPE_API_URL (a sandbox service reconciles on its own schedule)',
      );
    }
    const reconciliation = await this.services.get(ReconciliationService);
    const summary = await reconciliation.reconcile({ dryRun: options.dryRun });
    if (!summary.ran) {
      printLines('reconcile skipped: another process is running it right now');
      return;
    }
    const verb = summary.dryRun ? 'would be ' : '';
    printLines(
      ...summary.findings.map(describeFinding),
      `refunds ${verb}settled: ${summary.refundsSettled}`,
      `refunds ${verb}released: ${summary.refundsReleased}`,
      `payments ${verb}updated: ${summary.paymentsUpdated}`,
      `payments whose refunds differ from Stripe's: ${summary.refundMismatches}`,
      `errors: ${summary.errors}`,
      ...(summary.dryRun ? ['dry run: nothing was changed'] : []),
    );
    if (summary.errors > 0) process.exitCode = 1;
  }

  @Option({ flags: '--dry-run', description: 'print every difference with Stripe and change nothing' })
  parseDryRun(): boolean {
    return true;
  }
}

/** One line per difference: the payment, ours, Stripe's. */
function describeFinding(finding: ReconciliationFinding): string {
  switch (finding.kind) {
    case 'refunds': {
      const refunds = finding.refunds.map(
        (refund) =>
          `${refund.stripeRefundId} ${refund.amount} ours=${refund.ours ?? 'none'} stripe=${refund.stripe}`,
      );
      return [
        `mismatch payment=${finding.paymentId} refunded ours=${finding.ours} stripe=${finding.stripe}`,
        ...refunds.map((line) => `  refund ${line}`),
      ].join('\n');
    }
    case 'stuck_refund':
      return `mismatch payment=${finding.paymentId} refund=${finding.refundId} ours=pending (outcome unknown) stripe=${
        finding.outcome === 'settled' ? 'holds it' : 'holds none'
      }`;
    case 'payment':
      return `mismatch payment=${finding.paymentId} status ours=${finding.ours} stripe=${finding.stripe}`;
  }
}
