import { Command, CommandRunner } from 'nest-commander';
import { AppConfig } from '../config/app-config';
import { ReconciliationService } from '../reconciliation/reconciliation.service';
import { CliServices } from './cli-services';
import { CliUsageError, printLines } from './cli-output';

@Command({
  name: 'reconcile',
  description: 'settle stuck refunds and unfinished payments once, by asking Stripe',
})
export class ReconcileCommand extends CommandRunner {
  constructor(
    private readonly services: CliServices,
    private readonly config: AppConfig,
  ) {
    super();
  }

  async run(): Promise<void> {
    // The sandbox emulator lives inside the running service; a command would ask an empty one.
    if (this.config.stripe.sandbox && !this.config.stripe.apiUrl) {
      throw new CliUsageError(
        'reconcile needs Stripe: set STRIPE_SECRET_KEY or STRIPE_API_URL (a sandbox service reconciles on its own schedule)',
      );
    }
    const reconciliation = await this.services.get(ReconciliationService);
    const summary = await reconciliation.reconcile();
    if (!summary.ran) {
      printLines('reconcile skipped: another process is running it right now');
      return;
    }
    printLines(
      `refunds settled: ${summary.refundsSettled}`,
      `refunds released: ${summary.refundsReleased}`,
      `payments updated: ${summary.paymentsUpdated}`,
      `errors: ${summary.errors}`,
    );
    if (summary.errors > 0) process.exitCode = 1;
  }
}
