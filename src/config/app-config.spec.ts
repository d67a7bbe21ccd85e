import { ConfigError, DEVELOPMENT_JWT_SECRET, loadAppConfig, loadDatabaseConfig } from './app-config';

describe(loadAppConfig.name, () => {
  const valid = { NODE_ENV: 'test', JWT_SECRET: 'a-test-secret-of-enough-length' };

  it('applies the documented defaults', () => {
    const config = loadAppConfig(valid);
    expect(config).toMatchObject({
      port: 3000,
      databaseUrl: 'postgres://postgres@127.0.0.1:5432/payments',
      redisUrl: 'redis://127.0.0.1:6379',
      migrationsRun: true,
      workerMode: 'all',
      webhooks: { toleranceSeconds: 300, maxAttempts: 5, sweepIntervalSeconds: 30 },
      idempotency: { ttlSeconds: 86400, clientErrorTtlSeconds: 600, lockTtlSeconds: 60 },
      rateLimit: {
        enabled: true,
        windowSeconds: 60,
        limits: { payments: 600, refunds: 300, customers: 300 },
      },
    });
  });

  it('reads the per-tenant rate limits and their switch', () => {
    const config = loadAppConfig({
      ...valid,
      RATE_LIMIT_ENABLED: 'false',
      RATE_LIMIT_WINDOW_SECONDS: '2',
      RATE_LIMIT_PAYMENTS_PER_WINDOW: '3',
      RATE_LIMIT_REFUNDS_PER_WINDOW: '4',
      RATE_LIMIT_CUSTOMERS_PER_WINDOW: '5',
    });
    expect(config.rateLimit).toEqual({
      enabled: false,
      windowSeconds: 2,
      limits: { payments: 3, refunds: 4, customers: 5 },
    });
  });

  it('converts numbers and booleans from their text', () => {
    const config = loadAppConfig({
      ...valid,
      PORT: '0',
      MIGRATIONS_RUN: 'false',
      IDEMPOTENCY_LOCK_TTL_SECONDS: '5',
    });
    expect(config.port).toBe(0);
    expect(config.migrationsRun).toBe(false);
    expect(config.idempotency.lockTtlSeconds).toBe(5);
  });

  it.each([
    ['PORT', 'abc'],
    ['PORT', '70000'],
    ['PORT', '3.5'],
    ['MIGRATIONS_RUN', 'yes'],
    ['WORKER_MODE', 'both'],
    ['DATABASE_URL', 'mysql://x'],
    ['STRIPE_API_URL', 'http://127.0.0.1:12111/v1'],
    ['STRIPE_WEBHOOK_SECRET', 'secret'],
    ['IDEMPOTENCY_TTL_SECONDS', '0'],
    ['IDEMPOTENCY_TTL_SECONDS', '10000000000000000'],
    ['CORS_ORIGINS', '*'],
    ['CORS_ORIGINS', 'https://app.example.com/path'],
    ['CORS_ORIGINS', 'app.example.com'],
    ['CORS_ORIGINS', 'https://a.example.com,,https://b.example.com'],
    ['RATE_LIMIT_ENABLED', 'no'],
    ['RATE_LIMIT_WINDOW_SECONDS', '0'],
    ['RATE_LIMIT_WINDOW_SECONDS', '3601'],
    ['RATE_LIMIT_PAYMENTS_PER_WINDOW', '0'],
    ['RATE_LIMIT_REFUNDS_PER_WINDOW', '1.5'],
    ['RATE_LIMIT_CUSTOMERS_PER_WINDOW', 'many'],
    ['RECONCILE_INTERVAL_SECONDS', '0'],
    ['RECONCILE_INTERVAL_SECONDS', 'often'],
    ['RECONCILE_INTERVAL_SECONDS', '86401'],
    ['RECONCILE_AFTER_SECONDS', '59'],
    ['RECONCILE_AFTER_SECONDS', '1.5'],
  ])('rejects %s=%s with one line naming the variable', (name, value) => {
    const load = () => loadAppConfig({ ...valid, [name]: value });
    expect(load).toThrow(ConfigError);
    expect(load).toThrow(new RegExp(`^Invalid configuration: ${name}: [^\\n]+$`));
  });

  it('keeps CORS closed by default and reads comma-separated origins', () => {
    expect(loadAppConfig(valid).corsOrigins).toEqual([]);
    expect(
      loadAppConfig({ ...valid, CORS_ORIGINS: 'https://app.example.com, http://localhost:5173' }).corsOrigins,
    ).toEqual(['https://app.example.com', 'http://localhost:5173']);
  });

  it('never echoes a secret value in its message', () => {
    expect(() => loadAppConfig({ ...valid, JWT_SECRET: 'short' })).toThrow(
      /^Invalid configuration: JWT_SECRET: [^"]+$/,
    );
  });

  it('requires the secrets in production and so refuses sandbox mode there', () => {
    expect(() => loadAppConfig({ NODE_ENV: 'production' })).toThrow(
      'JWT_SECRET is required when NODE_ENV=production',
    );
    expect(() => loadAppConfig({ NODE_ENV: 'production', JWT_SECRET: valid.JWT_SECRET })).toThrow(
      'STRIPE_SECRET_KEY is required when NODE_ENV=production',
    );
  });

  it('requires JWT_SECRET outside development and falls back to a marked secret in development', () => {
    expect(() => loadAppConfig({ NODE_ENV: 'test' })).toThrow('JWT_SECRET is required when NODE_ENV=test');
    expect(loadAppConfig({}).jwtSecret).toBe(DEVELOPMENT_JWT_SECRET);
  });

  it('never lets the public development secret guard a real Stripe key', () => {
    expect(() => loadAppConfig({ STRIPE_SECRET_KEY: 'sk_live_x', STRIPE_WEBHOOK_SECRET: 'whsec_x' })).toThrow(
      'JWT_SECRET is required when STRIPE_SECRET_KEY is set',
    );
  });

  it('gives the migration CLI the database settings without the app’s secrets', () => {
    expect(loadDatabaseConfig({ NODE_ENV: 'production', DATABASE_URL: 'postgres://db/x' })).toEqual({
      databaseUrl: 'postgres://db/x',
      databaseQueryTimeoutMs: 10000,
    });
  });

  it('enters sandbox mode without a Stripe key, with a generated webhook secret', () => {
    const config = loadAppConfig(valid);
    expect(config.stripe.sandbox).toBe(true);
    expect(config.stripe.webhookSecrets).toEqual([expect.stringMatching(/^whsec_sandbox_/)]);
  });

  it('splits rotated webhook secrets', () => {
    const config = loadAppConfig({
      ...valid,
      STRIPE_SECRET_KEY: 'sk_test_x',
      STRIPE_WEBHOOK_SECRET: 'whsec_a, whsec_b',
    });
    expect(config.stripe).toMatchObject({ sandbox: false, webhookSecrets: ['whsec_a', 'whsec_b'] });
  });

  it('reconciles every 300 s the rows untouched for 600 s by default, and reads both from the environment', () => {
    expect(loadAppConfig(valid).reconciliation).toEqual({
      intervalSeconds: 300,
      afterSeconds: 600,
      refundLookbackDays: 30,
    });
    expect(
      loadAppConfig({ ...valid, RECONCILE_INTERVAL_SECONDS: '5', RECONCILE_AFTER_SECONDS: '3600' })
        .reconciliation,
    ).toEqual({ intervalSeconds: 5, afterSeconds: 3600, refundLookbackDays: 30 });
  });

  it('refuses a reconciliation threshold a Stripe call could outlast', () => {
    // 60 s × (2 + 1) tries = 180 s per call; the threshold must be twice that.
    const slowStripe = { ...valid, STRIPE_TIMEOUT_MS: '60000', STRIPE_MAX_NETWORK_RETRIES: '2' };
    expect(() => loadAppConfig({ ...slowStripe, RECONCILE_AFTER_SECONDS: '300' })).toThrow(
      /^Invalid configuration: RECONCILE_AFTER_SECONDS must be at least 360 /,
    );
    expect(loadAppConfig({ ...slowStripe, RECONCILE_AFTER_SECONDS: '360' }).reconciliation.afterSeconds).toBe(
      360,
    );
  });

  it('keeps events 90 days and allows 10 endpoints per tenant, delivered within 10 s, by default', () => {
    expect(loadAppConfig(valid)).toMatchObject({
      events: { retentionDays: 90 },
      outgoingWebhooks: {
        endpointsPerTenant: 10,
        timeoutMs: 10000,
        sweepIntervalSeconds: 5,
        httpsOnly: false,
      },
    });
    expect(() => loadAppConfig({ ...valid, OUTGOING_WEBHOOK_TIMEOUT_MS: '50' })).toThrow(
      'OUTGOING_WEBHOOK_TIMEOUT_MS must be an integer from 100 to 60000',
    );
  });

  it('lets webhooks go to private addresses in sandbox mode only, unless told otherwise', () => {
    const stripe = { ...valid, STRIPE_SECRET_KEY: 'sk_test_config' };
    const production = { ...stripe, NODE_ENV: 'production', STRIPE_WEBHOOK_SECRET: 'whsec_config' };
    expect(loadAppConfig(valid).outgoingWebhooks.allowPrivateUrls).toBe(true);
    expect(loadAppConfig(stripe).outgoingWebhooks.allowPrivateUrls).toBe(false);
    expect(loadAppConfig(production).outgoingWebhooks).toMatchObject({
      allowPrivateUrls: false,
      httpsOnly: true,
    });
    const allowed = { ...production, OUTGOING_WEBHOOKS_ALLOW_PRIVATE_URLS: 'true' };
    expect(loadAppConfig(allowed).outgoingWebhooks.allowPrivateUrls).toBe(true);
    expect(
      loadAppConfig({ ...valid, OUTGOING_WEBHOOKS_ALLOW_PRIVATE_URLS: 'false' }).outgoingWebhooks
        .allowPrivateUrls,
    ).toBe(false);
  });
});
