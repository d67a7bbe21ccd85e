import { Logger } from '@nestjs/common';
import type { StripeEmulator } from '../../packages/stripe-emulator/src/index.js';
import { AppConfig } from '../config/app-config';

/** The in-process emulator as the rest of the service sees it: a URL, and a way to stop it. */
export interface SandboxEmulator {
  readonly url: string;
  stop(): Promise<void>;
}

const logger = new Logger('StripeModule');

/**
 * Sandbox mode (SPEC §1): no secret key outside production and no STRIPE_API_URL to talk to,
 * so the project's emulator is started in-process and the SDK is pointed at it. The emulator is a
 * test double, so it is loaded here and only here, lazily: a service with a Stripe key never loads it.
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
    // Events are signed and kept; they are sent once the service has its webhook route.
    autoDeliverWebhooks: false,
  });
  const { url } = await emulator.start();
  logger.warn(`SANDBOX MODE: no STRIPE_SECRET_KEY, payments go to the in-process Stripe emulator at ${url}`);
  return emulator;
}
