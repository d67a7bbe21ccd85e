/** Shared by the load generator (`run.ts`) and the server process it forks (`bench-app.ts`). */

/** Created by the app at boot, dropped before and after every run (`cleanup.ts`). */
export const BENCH_DATABASE_URL = 'postgres://postgres@127.0.0.1:5432/payments_bench';
export const BENCH_ADMIN_DATABASE_URL = 'postgres://postgres@127.0.0.1:5432/postgres';
export const BENCH_DATABASE_NAME = 'payments_bench';
export const BENCH_REDIS_URL = 'redis://127.0.0.1:6379';
export const BENCH_JWT_SECRET = 'bench-only-jwt-secret-not-for-any-deployment';
export const BENCH_WEBHOOK_SECRET = 'whsec_bench_only_not_for_any_deployment';

/** Server → load generator. */
export type ServerMessage = { type: 'ready'; port: number } | { type: 'failed'; error: string };

/** Load generator → server. */
export interface ControlMessage {
  type: 'stop';
}

export function isServerMessage(value: unknown): value is ServerMessage {
  if (typeof value !== 'object' || value === null) return false;
  const message = value as Record<string, unknown>;
  return (
    (message.type === 'ready' && typeof message.port === 'number') ||
    (message.type === 'failed' && typeof message.error === 'string')
  );
}

export function isControlMessage(value: unknown): value is ControlMessage {
  return typeof value === 'object' && value !== null && (value as Record<string, unknown>).type === 'stop';
}
