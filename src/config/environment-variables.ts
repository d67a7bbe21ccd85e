import { Transform } from 'class-transformer';
import { applyDecorators } from '@nestjs/common';
import { IsBoolean, IsIn, IsInt, IsOptional, IsString, Matches, Max, Min, MinLength } from 'class-validator';

/** The environment as the service accepts it (docs/configuration.md); defaults live here only. */
export const NODE_ENVS = ['development', 'test', 'production'] as const;
export const WORKER_MODES = ['api', 'worker', 'all'] as const;
export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

// Reads the raw text: implicit conversion alone would turn "false" into true.
const toBoolean = ({ obj, key }: { obj: Record<string, unknown>; key: string }): unknown => {
  const raw = obj[key];
  if (raw === 'true' || raw === true) return true;
  if (raw === 'false' || raw === false) return false;
  return raw;
};

function IntegerInRange(min: number, max?: number): PropertyDecorator {
  const message = `$property must be an integer ${max === undefined ? `>= ${min}` : `from ${min} to ${max}`}`;
  const decorators = [IsInt({ message }), Min(min, { message })];
  if (max !== undefined) decorators.push(Max(max, { message }));
  return applyDecorators(...decorators);
}

// Property types are spelled out: implicit conversion reads them from decorator metadata.
export class EnvironmentVariables {
  @IsIn(NODE_ENVS)
  NODE_ENV: (typeof NODE_ENVS)[number] = 'development';

  @IntegerInRange(0, 65535)
  PORT: number = 3000;

  @Matches(/^postgres(ql)?:\/\/.+/, { message: 'DATABASE_URL must be a postgres:// URL' })
  DATABASE_URL: string = 'postgres://postgres@127.0.0.1:5432/payments';

  @Transform(toBoolean)
  @IsBoolean()
  MIGRATIONS_RUN: boolean = true;

  @IntegerInRange(500, 600000)
  DATABASE_QUERY_TIMEOUT_MS: number = 10000;

  @Matches(/^rediss?:\/\/.+/, { message: 'REDIS_URL must be a redis:// URL' })
  REDIS_URL: string = 'redis://127.0.0.1:6379';

  @IsOptional()
  @IsString()
  @MinLength(16, { message: 'JWT_SECRET must be at least 16 characters' })
  JWT_SECRET?: string;

  @IsOptional()
  @Matches(/^(sk|rk)_(test|live)_\S+$/, {
    message: 'STRIPE_SECRET_KEY must look like sk_test_… or sk_live_…',
  })
  STRIPE_SECRET_KEY?: string;

  @IsOptional()
  @Matches(/^https?:\/\/[^/\s]+\/?$/, {
    message: 'STRIPE_API_URL must be an http(s) base URL without a path',
  })
  STRIPE_API_URL?: string;

  @IsOptional()
  @Matches(/^whsec_[^,\s]+(,\s*whsec_[^,\s]+)*$/, {
    message: 'STRIPE_WEBHOOK_SECRET must be one or more whsec_… secrets, comma-separated',
  })
  STRIPE_WEBHOOK_SECRET?: string;

  @IntegerInRange(1000, 120000)
  STRIPE_TIMEOUT_MS: number = 20000;

  @IntegerInRange(0, 5)
  STRIPE_MAX_NETWORK_RETRIES: number = 2;

  // Stripe keeps idempotency keys for 24 h; an hour of margin.
  @IntegerInRange(1, 86400)
  STRIPE_IDEMPOTENCY_WINDOW_SECONDS: number = 82800;

  @IntegerInRange(1, 3600)
  WEBHOOK_TOLERANCE_SECONDS: number = 300;

  @IntegerInRange(1, 2592000)
  IDEMPOTENCY_TTL_SECONDS: number = 86400;

  @IntegerInRange(1, 2592000)
  IDEMPOTENCY_CLIENT_ERROR_TTL_SECONDS: number = 600;

  @IntegerInRange(1, 3600)
  IDEMPOTENCY_LOCK_TTL_SECONDS: number = 60;

  @IntegerInRange(1, 100)
  WEBHOOK_MAX_ATTEMPTS: number = 5;

  @IntegerInRange(1)
  WEBHOOK_SWEEP_INTERVAL_SECONDS: number = 30;

  // Processed and ignored events are kept this long for support questions, then cleaned up.
  @IntegerInRange(1, 3650)
  WEBHOOK_RETENTION_DAYS: number = 30;

  @IntegerInRange(1, 86400)
  CLEANUP_INTERVAL_SECONDS: number = 3600;

  // Tenants read their events this long through GET /events; the cleanup deletes older ones.
  @IntegerInRange(1, 3650)
  EVENT_RETENTION_DAYS: number = 90;

  @IntegerInRange(1, 1000)
  WEBHOOK_ENDPOINTS_PER_TENANT: number = 10;

  // Unset: true in sandbox mode (receivers on this machine), false everywhere else.
  @IsOptional()
  @Transform(toBoolean)
  @IsBoolean()
  OUTGOING_WEBHOOKS_ALLOW_PRIVATE_URLS?: boolean;

  @IntegerInRange(100, 60000)
  OUTGOING_WEBHOOK_TIMEOUT_MS: number = 10000;

  // Retries are due by the database clock; the sweeper hands due ones to the workers this often.
  @IntegerInRange(1, 3600)
  OUTGOING_WEBHOOK_SWEEP_INTERVAL_SECONDS: number = 5;

  @Transform(toBoolean)
  @IsBoolean()
  RATE_LIMIT_ENABLED: boolean = true;

  // Fixed windows: one atomic counter per tenant and route family, reset when the window ends.
  @IntegerInRange(1, 3600)
  RATE_LIMIT_WINDOW_SECONDS: number = 60;

  @IntegerInRange(1, 1000000)
  RATE_LIMIT_PAYMENTS_PER_WINDOW: number = 600;

  @IntegerInRange(1, 1000000)
  RATE_LIMIT_REFUNDS_PER_WINDOW: number = 300;

  @IntegerInRange(1, 1000000)
  RATE_LIMIT_CUSTOMERS_PER_WINDOW: number = 300;
  // A day at most: stuck rows are worth looking at more often than that.
  @IntegerInRange(1, 86400)
  RECONCILE_INTERVAL_SECONDS: number = 300;

  // Rows untouched for this long are reconciled; below a minute a slow Stripe call could still be in flight.
  @IntegerInRange(60, 2592000)
  RECONCILE_AFTER_SECONDS: number = 600;

  // A card refund can fail weeks after it succeeded; its Stripe refund is created the day it is asked for.
  @IntegerInRange(1, 365)
  RECONCILE_REFUND_LOOKBACK_DAYS: number = 30;

  @IsIn(WORKER_MODES)
  WORKER_MODE: (typeof WORKER_MODES)[number] = 'all';

  // Exact origins only: a wildcard would let any site's scripts call the API with a stolen token.
  @Matches(/^$|^https?:\/\/[^/\s,]+(\s*,\s*https?:\/\/[^/\s,]+)*$/, {
    message:
      'CORS_ORIGINS must be comma-separated origins like https://app.example.com (no path, no wildcard)',
  })
  CORS_ORIGINS: string = '';

  @IsIn(LOG_LEVELS)
  LOG_LEVEL: (typeof LOG_LEVELS)[number] = 'info';
}
