import { Logger } from '@nestjs/common';
import type { StripeEmulator } from '../../packages/stripe-emulator/src/index.js';
import { AppConfig } from '../config/app-config';

export interface SandboxEmulator {
  readonly url: string;
  stop(): Promise<void>;
}

/** Long enough to watch a payment sit in `processing`, short enough to see the webhook move it. */
export const SANDBOX_SETTLE_AFTER_SECONDS = 5;
const SANDBOX_BANK_TICK_MS = 1000;

const logger = new Logger('StripeModule');

/**
 * Sandbox mode (docs/configuration.md): no secret key outside production and no STRIPE_API_URL. The emulator
 * is a test double, so it is loaded lazily and only here; its signed events go to this service's own webhook
 * route.
 */
export async function startSandboxEmulator(config: AppConfig): Promise<SandboxEmulator | null> {
  if (!config.startsSandboxEmulator) return null;
  const { StripeEmulator: Emulator } = await import('../../packages/stripe-emulator/src/index.js');
  const emulator: StripeEmulator = new Emulator({
    port: 0,
    logger: { log: (message) => logger.log(message), warn: (message) => logger.warn(message) },
    webhook: {
      url: `http://127.0.0.1:${config.port}/webhooks/stripe`,
      secret: config.stripe.webhookSecrets[0],
    },
    autoDeliverWebhooks: true,
  });
  const { url } = await emulator.start();
  const bank = setInterval(() => settleProcessingPayments(emulator), SANDBOX_BANK_TICK_MS);
  bank.unref();
  logger.warn(`SANDBOX MODE: no STRIPE_SECRET_KEY, payments go to the in-process Stripe emulator at ${url}`);
  return {
    url,
    stop: async () => {
      clearInterval(bank);
      await emulator.stop();
    },
  };
}

/** The emulator settles a `processing` PaymentIntent only when told to, as the bank would. */
function settleProcessingPayments(emulator: StripeEmulator): void {
  const due = Date.now() / 1000 - SANDBOX_SETTLE_AFTER_SECONDS;
  for (const paymentIntent of emulator.paymentIntents()) {
    if (paymentIntent.status !== 'processing' || paymentIntent.created > due) continue;
    try {
      emulator.settlePaymentIntent(paymentIntent.id, 'succeeded');
    } catch (error) {
      logger.warn(`Sandbox bank could not settle ${paymentIntent.id}: ${String(error)}`);
    }
  }
}
