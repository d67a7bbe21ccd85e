import { randomBytes } from 'node:crypto';
import { plainToInstance } from 'class-transformer';
import { validateSync } from 'class-validator';
import { EnvironmentVariables, LOG_LEVELS, NODE_ENVS, WORKER_MODES } from './environment-variables';

export type NodeEnv = (typeof NODE_ENVS)[number];
export type WorkerMode = (typeof WORKER_MODES)[number];
export type LogLevel = (typeof LOG_LEVELS)[number];
/** `service` is the long-running process; `cli` a one-off command that must start nothing in the background. */
export type ProcessRole = 'service' | 'cli';

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

export interface StripeConfig {
  /** Unset in sandbox mode: the in-process emulator stands in for Stripe. */
  readonly secretKey: string | undefined;
  /** Unset means Stripe's own API. */
  readonly apiUrl: string | undefined;
  readonly webhookSecrets: readonly string[];
  readonly sandbox: boolean;
  readonly timeoutMs: number;
  readonly maxNetworkRetries: number;
  /** Past this, an unfinished attempt is looked up at Stripe before anything is re-sent. */
  readonly idempotencyWindowSeconds: number;
}

export interface RateLimitConfig {
  readonly enabled: boolean;
  readonly windowSeconds: number;
  readonly limits: {
    readonly payments: number;
    readonly refunds: number;
    readonly customers: number;
  };
}

export interface OutgoingWebhooksConfig {
  readonly endpointsPerTenant: number;
  /** Allows endpoints on loopback, private or link-local addresses (sandbox mode, or on purpose). */
  readonly allowPrivateUrls: boolean;
  readonly httpsOnly: boolean;
  readonly timeoutMs: number;
  readonly sweepIntervalSeconds: number;
}

export interface AppConfigValues {
  readonly nodeEnv: NodeEnv;
  readonly port: number;
  readonly databaseUrl: string;
  readonly databaseQueryTimeoutMs: number;
  readonly migrationsRun: boolean;
  readonly redisUrl: string;
  readonly jwtSecret: string;
  readonly stripe: StripeConfig;
  readonly webhooks: {
    readonly toleranceSeconds: number;
    readonly maxAttempts: number;
    readonly sweepIntervalSeconds: number;
    readonly retentionDays: number;
  };
  readonly idempotency: {
    readonly ttlSeconds: number;
    readonly clientErrorTtlSeconds: number;
    readonly lockTtlSeconds: number;
  };
  readonly rateLimit: RateLimitConfig;
  readonly reconciliation: {
    readonly intervalSeconds: number;
    readonly afterSeconds: number;
    readonly refundLookbackDays: number;
  };
  readonly cleanup: {
    readonly intervalSeconds: number;
  };
  readonly events: {
    readonly retentionDays: number;
  };
  readonly outgoingWebhooks: OutgoingWebhooksConfig;
  readonly workerMode: WorkerMode;
  readonly role: ProcessRole;
  readonly logLevel: LogLevel;
  /** Empty means CORS is closed. */
  readonly corsOrigins: readonly string[];
}

/** Built once at boot by `loadAppConfig`; nothing else reads `process.env`. */
export class AppConfig implements AppConfigValues {
  readonly nodeEnv!: NodeEnv;
  readonly port!: number;
  readonly databaseUrl!: string;
  readonly databaseQueryTimeoutMs!: number;
  readonly migrationsRun!: boolean;
  readonly redisUrl!: string;
  readonly jwtSecret!: string;
  readonly stripe!: StripeConfig;
  readonly webhooks!: AppConfigValues['webhooks'];
  readonly idempotency!: AppConfigValues['idempotency'];
  readonly rateLimit!: RateLimitConfig;
  readonly reconciliation!: AppConfigValues['reconciliation'];
  readonly cleanup!: AppConfigValues['cleanup'];
  readonly events!: AppConfigValues['events'];
  readonly outgoingWebhooks!: OutgoingWebhooksConfig;
  readonly workerMode!: WorkerMode;
  readonly role!: ProcessRole;
  readonly logLevel!: LogLevel;
  readonly corsOrigins!: readonly string[];

  constructor(values: AppConfigValues) {
    Object.assign(this, values);
  }

  get runsHttp(): boolean {
    return this.workerMode !== 'worker';
  }

  /** Processors, the sweeper and scheduled jobs; never in a CLI command, whatever WORKER_MODE says. */
  get runsWorkers(): boolean {
    return this.role === 'service' && this.workerMode !== 'api';
  }

  /** The in-process emulator belongs to the service: a CLI command would get an empty one of its own. */
  get startsSandboxEmulator(): boolean {
    return this.role === 'service' && this.stripe.sandbox && !this.stripe.apiUrl;
  }

  forCommandLine(): AppConfig {
    return new AppConfig({ ...this, role: 'cli' });
  }
}

/** Only used where no secret is configured in development, and said so loudly at boot. */
export const DEVELOPMENT_JWT_SECRET = 'development-only-jwt-secret-do-not-deploy';

type Env = Record<string, string | undefined>;

/** Never echoed back in an error line. */
const SECRET_VARIABLES = new Set([
  'JWT_SECRET',
  'STRIPE_SECRET_KEY',
  'STRIPE_WEBHOOK_SECRET',
  'DATABASE_URL',
  'REDIS_URL',
]);

export function loadAppConfig(env: Env): AppConfig {
  const vars = validateEnvironment(env);
  const production = vars.NODE_ENV === 'production';

  if (production) {
    for (const name of ['JWT_SECRET', 'STRIPE_SECRET_KEY', 'STRIPE_WEBHOOK_SECRET'] as const) {
      if (!vars[name]) throw new ConfigError(`${name} is required when NODE_ENV=production`);
    }
  }
  if (!vars.JWT_SECRET && vars.NODE_ENV !== 'development') {
    throw new ConfigError(`JWT_SECRET is required when NODE_ENV=${vars.NODE_ENV}`);
  }
  // The development secret is public: it may guard the emulator's play money, never Stripe's.
  if (!vars.JWT_SECRET && vars.STRIPE_SECRET_KEY) {
    throw new ConfigError('JWT_SECRET is required when STRIPE_SECRET_KEY is set');
  }

  // A Stripe call outliving the reconcile threshold (timeout × tries) could be released while Stripe may
  // still act on it.
  const longestStripeCallSeconds = (vars.STRIPE_TIMEOUT_MS * (vars.STRIPE_MAX_NETWORK_RETRIES + 1)) / 1000;
  if (vars.RECONCILE_AFTER_SECONDS < 2 * longestStripeCallSeconds) {
    throw new ConfigError(
      `Invalid configuration: RECONCILE_AFTER_SECONDS must be at least ${Math.ceil(2 * longestStripeCallSeconds)} ` +
        '(twice STRIPE_TIMEOUT_MS × (STRIPE_MAX_NETWORK_RETRIES + 1))',
    );
  }

  const sandbox = !vars.STRIPE_SECRET_KEY;
  // Sandbox mode signs the emulator's webhooks itself when no secret is given.
  const webhookSecrets = vars.STRIPE_WEBHOOK_SECRET
    ? vars.STRIPE_WEBHOOK_SECRET.split(',').map((secret) => secret.trim())
    : sandbox
      ? [`whsec_sandbox_${randomBytes(24).toString('hex')}`]
      : [];

  return new AppConfig({
    nodeEnv: vars.NODE_ENV,
    port: vars.PORT,
    databaseUrl: vars.DATABASE_URL,
    databaseQueryTimeoutMs: vars.DATABASE_QUERY_TIMEOUT_MS,
    migrationsRun: vars.MIGRATIONS_RUN,
    redisUrl: vars.REDIS_URL,
    jwtSecret: vars.JWT_SECRET ?? DEVELOPMENT_JWT_SECRET,
    stripe: {
      secretKey: vars.STRIPE_SECRET_KEY,
      apiUrl: vars.STRIPE_API_URL,
      webhookSecrets,
      sandbox,
      timeoutMs: vars.STRIPE_TIMEOUT_MS,
      maxNetworkRetries: vars.STRIPE_MAX_NETWORK_RETRIES,
      idempotencyWindowSeconds: vars.STRIPE_IDEMPOTENCY_WINDOW_SECONDS,
    },
    webhooks: {
      toleranceSeconds: vars.WEBHOOK_TOLERANCE_SECONDS,
      maxAttempts: vars.WEBHOOK_MAX_ATTEMPTS,
      sweepIntervalSeconds: vars.WEBHOOK_SWEEP_INTERVAL_SECONDS,
      retentionDays: vars.WEBHOOK_RETENTION_DAYS,
    },
    idempotency: {
      ttlSeconds: vars.IDEMPOTENCY_TTL_SECONDS,
      clientErrorTtlSeconds: vars.IDEMPOTENCY_CLIENT_ERROR_TTL_SECONDS,
      lockTtlSeconds: vars.IDEMPOTENCY_LOCK_TTL_SECONDS,
    },
    rateLimit: {
      enabled: vars.RATE_LIMIT_ENABLED,
      windowSeconds: vars.RATE_LIMIT_WINDOW_SECONDS,
      limits: {
        payments: vars.RATE_LIMIT_PAYMENTS_PER_WINDOW,
        refunds: vars.RATE_LIMIT_REFUNDS_PER_WINDOW,
        customers: vars.RATE_LIMIT_CUSTOMERS_PER_WINDOW,
      },
    },
    reconciliation: {
      intervalSeconds: vars.RECONCILE_INTERVAL_SECONDS,
      afterSeconds: vars.RECONCILE_AFTER_SECONDS,
      refundLookbackDays: vars.RECONCILE_REFUND_LOOKBACK_DAYS,
    },
    cleanup: {
      intervalSeconds: vars.CLEANUP_INTERVAL_SECONDS,
    },
    events: { retentionDays: vars.EVENT_RETENTION_DAYS },
    outgoingWebhooks: {
      endpointsPerTenant: vars.WEBHOOK_ENDPOINTS_PER_TENANT,
      allowPrivateUrls: vars.OUTGOING_WEBHOOKS_ALLOW_PRIVATE_URLS ?? sandbox,
      httpsOnly: production,
      timeoutMs: vars.OUTGOING_WEBHOOK_TIMEOUT_MS,
      sweepIntervalSeconds: vars.OUTGOING_WEBHOOK_SWEEP_INTERVAL_SECONDS,
    },
    workerMode: vars.WORKER_MODE,
    role: 'service',
    logLevel: vars.LOG_LEVEL,
    corsOrigins: vars.CORS_ORIGINS.split(',')
      .map((origin) => origin.trim())
      .filter((origin) => origin !== ''),
  });
}

/** What the migration CLI needs: the database settings only, so it runs without the app's secrets. */
export function loadDatabaseConfig(
  env: Env,
): Pick<AppConfigValues, 'databaseUrl' | 'databaseQueryTimeoutMs'> {
  const vars = validateEnvironment(env);
  return { databaseUrl: vars.DATABASE_URL, databaseQueryTimeoutMs: vars.DATABASE_QUERY_TIMEOUT_MS };
}

function validateEnvironment(env: Env): EnvironmentVariables {
  const known = new Set(Object.keys(new EnvironmentVariables()));
  const given = Object.fromEntries(
    Object.entries(env).filter(([name, value]) => known.has(name) && value !== undefined && value !== ''),
  );
  const vars = plainToInstance(EnvironmentVariables, given, { enableImplicitConversion: true });
  // Implicit conversion turns "abc" into NaN and "" into 0, so the raw text is kept for the message.
  const [error] = validateSync(vars, { stopAtFirstError: true });
  if (error) {
    const message = Object.values(error.constraints ?? {})[0] ?? 'is invalid';
    const raw = SECRET_VARIABLES.has(error.property) ? undefined : given[error.property];
    throw new ConfigError(
      `Invalid configuration: ${error.property}: ${message}${raw === undefined ? '' : ` (got "${raw}")`}`,
    );
  }
  return vars;
}
