/**
 * Retries (docs/design/tenant-events.md): at once, then 5 s, 5 min, 30 min, 2 h, 5 h after the attempt
 * before, then every 10 h, until 3 days after the event; an attempt that would fall later is not made and the
 * delivery is `failed`. The database clock decides when `next_attempt_at` is due, so tests move that column.
 */
const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;

export const RETRY_DELAYS_MS = [5 * SECOND, 5 * MINUTE, 30 * MINUTE, 2 * HOUR, 5 * HOUR, 10 * HOUR] as const;

/** Counted from the event, or from the resend or recovery that starts a new round. */
export const DELIVERY_HORIZON_MS = 3 * 24 * HOUR;

/** An endpoint whose every delivery has failed this long is disabled. */
export const DISABLE_AFTER_FAILING_MS = 5 * 24 * HOUR;

export const SECRET_OVERLAP_MS = 24 * HOUR;

/** `attempts` counts this round's failed attempts only, so a resend or recovery starts the schedule over. */
export function retryDelayMs(attempts: number): number {
  return RETRY_DELAYS_MS[Math.min(Math.max(attempts, 1), RETRY_DELAYS_MS.length) - 1];
}
