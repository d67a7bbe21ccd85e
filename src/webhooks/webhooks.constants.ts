/** The Bull queue Stripe events are processed from; a job's id is its event's id. */
export const STRIPE_WEBHOOK_QUEUE = 'stripe-webhooks';

/** The sweeper's job name (its advisory lock and its interval). */
export const WEBHOOK_SWEEP_JOB = 'webhooks.sweep';

/** Base of the exponential backoff between processing attempts: 1 s, 2 s, 4 s, … */
export const WEBHOOK_RETRY_BASE_DELAY_MS = 1000;

/** How long the request waits for Redis to take a job before answering anyway (the sweeper retries). */
export const WEBHOOK_ENQUEUE_TIMEOUT_MS = 1000;

export interface StripeWebhookJob {
  eventId: string;
}
