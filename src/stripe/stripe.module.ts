import { Inject, Logger, Module, OnApplicationShutdown, Optional } from '@nestjs/common';
import { AppConfig } from '../config/app-config';
import { StripeEmulator } from '../stripe-emulator/stripe-emulator';
import { createStripeClient } from './stripe-client.factory';
import { StripeAttempts } from './stripe-attempts';
import { StripeGateway } from './stripe.gateway';
import { STRIPE_CLIENT, STRIPE_SANDBOX_EMULATOR } from './stripe.constants';

const logger = new Logger('StripeModule');

/**
 * Sandbox mode (SPEC §1): no secret key outside production and no STRIPE_API_URL to talk to,
 * so the project's emulator is started in-process and the SDK is pointed at it.
 */
async function startSandboxEmulator(config: AppConfig): Promise<StripeEmulator | null> {
  if (!config.stripe.sandbox || config.stripe.apiUrl) return null;
  const emulator = new StripeEmulator({
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

@Module({
  providers: [
    { provide: STRIPE_SANDBOX_EMULATOR, inject: [AppConfig], useFactory: startSandboxEmulator },
    {
      provide: STRIPE_CLIENT,
      inject: [AppConfig, STRIPE_SANDBOX_EMULATOR],
      useFactory: (config: AppConfig, emulator: StripeEmulator | null) =>
        createStripeClient(config.stripe, emulator?.url ?? config.stripe.apiUrl),
    },
    StripeGateway,
    StripeAttempts,
  ],
  exports: [StripeGateway, StripeAttempts],
})
export class StripeModule implements OnApplicationShutdown {
  constructor(
    @Optional() @Inject(STRIPE_SANDBOX_EMULATOR) private readonly emulator: StripeEmulator | null,
  ) {}

  async onApplicationShutdown(): Promise<void> {
    await this.emulator?.stop();
  }
}
