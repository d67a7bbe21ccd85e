import Stripe from 'stripe';
import { StripeEmulator, StripeEmulatorOptions } from '../../packages/stripe-emulator/src/index';
import { createTestApp, TestApp } from './test-app';
import { TestClient } from './test-client';

export interface PaymentsHarness {
  app: TestApp;
  emulator: StripeEmulator;
  close(): Promise<void>;
}

/**
 * The real app talking through the real Stripe SDK to an emulator the test owns, so it can
 * inject faults and count what Stripe holds. SDK retries are off: faults reach the service.
 */
export async function createPaymentsHarness(
  env: Record<string, string> = {},
  emulatorOptions: StripeEmulatorOptions = {},
): Promise<PaymentsHarness> {
  const emulator = new StripeEmulator({
    port: 0,
    logger: { log: () => undefined, warn: () => undefined },
    ...emulatorOptions,
  });
  await emulator.start();
  const app = await createTestApp({
    env: {
      STRIPE_API_URL: emulator.url,
      STRIPE_SECRET_KEY: 'sk_test_e2e',
      STRIPE_WEBHOOK_SECRET: 'whsec_e2e',
      STRIPE_MAX_NETWORK_RETRIES: '0',
      STRIPE_TIMEOUT_MS: '5000',
      ...env,
    },
  });
  return {
    app,
    emulator,
    close: async () => {
      await app.close();
      await emulator.stop();
    },
  };
}

/**
 * The real SDK talking to the emulator as another integration on the same Stripe account would:
 * what it does there (a refund, say) happens outside the service's API.
 */
export function stripeClientFor(emulator: StripeEmulator): Stripe {
  const url = new URL(emulator.url);
  return new Stripe('sk_test_other_integration', {
    host: url.hostname,
    port: Number(url.port),
    protocol: 'http',
    maxNetworkRetries: 0,
  });
}

/** The field names a VALIDATION_FAILED body reports. */
export function fieldsOf(body: { details?: { fields?: Array<{ field: string }> } }): string[] {
  return (body.details?.fields ?? []).map((error) => error.field);
}

/**
 * One harness for a whole describe block, with a fresh client (a new tenant) and no leftover
 * emulator faults for every test. Read `current()` inside tests and hooks.
 */
export function usePaymentsHarness(): () => { harness: PaymentsHarness; client: TestClient } {
  let harness: PaymentsHarness;
  let client: TestClient;
  beforeAll(async () => {
    harness = await createPaymentsHarness();
  });
  beforeEach(() => {
    harness.emulator.clearFaults();
    client = new TestClient({ app: harness.app });
  });
  afterAll(() => harness.close());
  return () => ({ harness, client });
}
