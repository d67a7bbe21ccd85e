import { Inject, Module, OnApplicationShutdown, Optional } from '@nestjs/common';
import { AppConfig } from '../config/app-config';
import { startSandboxEmulator, type SandboxEmulator } from './sandbox-emulator';
import { createStripeClient } from './stripe-client.factory';
import { StripeAttempts } from './stripe-attempts';
import { StripeGateway } from './stripe.gateway';
import { STRIPE_CLIENT, STRIPE_SANDBOX_EMULATOR } from './stripe.constants';

@Module({
  providers: [
    { provide: STRIPE_SANDBOX_EMULATOR, inject: [AppConfig], useFactory: startSandboxEmulator },
    {
      provide: STRIPE_CLIENT,
      inject: [AppConfig, STRIPE_SANDBOX_EMULATOR],
      useFactory: (config: AppConfig, emulator: SandboxEmulator | null) =>
        createStripeClient(config.stripe, emulator?.url ?? config.stripe.apiUrl),
    },
    StripeGateway,
    StripeAttempts,
  ],
  exports: [StripeGateway, StripeAttempts],
})
export class StripeModule implements OnApplicationShutdown {
  constructor(
    @Optional() @Inject(STRIPE_SANDBOX_EMULATOR) private readonly emulator: SandboxEmulator | null,
  ) {}

  async onApplicationShutdown(): Promise<void> {
    await this.emulator?.stop();
  }
}
