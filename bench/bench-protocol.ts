/** Shared by the load generator (`run.ts`), the processes it starts and the reference server. */

/**
 * Created by the service at boot, dropped before and after every run (`cleanup.ts`). Named after
 * the run's process, like the reference's Redis keys below, so two runs on one machine (their
 * figures meaningless, but their checks still right) never drop each other's tables.
 */
export const BENCH_DATABASE_NAME = `payments_bench_${process.pid}`;
export const BENCH_DATABASE_URL = `postgres://postgres@127.0.0.1:5432/${BENCH_DATABASE_NAME}`;
export const BENCH_ADMIN_DATABASE_URL = 'postgres://postgres@127.0.0.1:5432/postgres';
export const BENCH_REDIS_URL = 'redis://127.0.0.1:6379';
export const BENCH_JWT_SECRET = 'bench-only-jwt-secret-not-for-any-deployment';
export const BENCH_WEBHOOK_SECRET = 'whsec_bench_only_not_for_any_deployment';
/** A test-mode key: the emulator accepts any `sk_test_…`, and production config requires one. */
export const BENCH_STRIPE_SECRET_KEY = 'sk_test_bench_only_not_for_any_deployment';
/** Every Redis key the reference server writes starts with this, so the run can remove them. */
export const REFERENCE_REDIS_PREFIX = `bench-reference:${process.pid}:`;

/**
 * The question `cpu-usage.preload.cjs` answers in every process the bench starts: the
 * process's own `process.cpuUsage()`, so CPU is measured inside the server, not guessed.
 */
export interface CpuUsageRequest {
  type: 'cpu-usage?';
}

export interface CpuUsageReply {
  type: 'cpu-usage';
  usage: NodeJS.CpuUsage;
}

export function isCpuUsageReply(value: unknown): value is CpuUsageReply {
  if (typeof value !== 'object' || value === null) return false;
  const message = value as Record<string, unknown>;
  return message.type === 'cpu-usage' && typeof message.usage === 'object' && message.usage !== null;
}
