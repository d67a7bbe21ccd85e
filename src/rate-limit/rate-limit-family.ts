import type { RateLimitConfig } from '../config/app-config';

/**
 * A family of money routes sharing one per-tenant budget: `payments` (POST /payments/process,
 * /payments/fees, /intents), `refunds` (POST /refunds), `customers` (POST /customers).
 */
export type RateLimitFamily = keyof RateLimitConfig['limits'];

/** Route metadata naming the family a handler counts against. */
export const RATE_LIMIT_FAMILY = 'rate-limit:family';
