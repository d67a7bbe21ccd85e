import Stripe from 'stripe';
import { StripeConfig } from '../config/app-config';

/** Used against the sandbox emulator or a STRIPE_API_URL double when no real key is configured. */
export const SANDBOX_SECRET_KEY = 'sk_test_sandbox_emulator';

/** Every mutating call carries an idempotency key, so the SDK's network retries are safe. */
export function createStripeClient(config: StripeConfig, apiUrl: string | undefined): Stripe {
  const target = apiUrl ? new URL(apiUrl) : undefined;
  return new Stripe(config.secretKey ?? SANDBOX_SECRET_KEY, {
    timeout: config.timeoutMs,
    maxNetworkRetries: config.maxNetworkRetries,
    appInfo: { name: 'payment-service' },
    telemetry: false,
    ...(target
      ? {
          host: target.hostname,
          port: target.port || (target.protocol === 'https:' ? 443 : 80),
          protocol: target.protocol === 'https:' ? 'https' : 'http',
        }
      : {}),
  });
}
