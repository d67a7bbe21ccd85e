import type { RateLimitConfig } from '../config/app-config';

/** Money routes that share one per-tenant budget. */
export type RateLimitFamily = keyof RateLimitConfig['limits'];

export const RATE_LIMIT_FAMILY = 'rate-limit:family';
