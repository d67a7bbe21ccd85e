export const STRIPE_WEBHOOK_QUEUE = 'stripe-webhooks';

export const WEBHOOK_SWEEP_JOB = 'webhooks.sweep';

/** Base of the exponential backoff between processing attempts: 1 s, 2 s, 4 s, … */
export const WEBHOOK_RETRY_BASE_DELAY_MS = 1000;

/** How long to wait for Redis to take a job before giving up; the sweeper retries. */
export const WEBHOOK_ENQUEUE_TIMEOUT_MS = 1000;

export interface StripeWebhookJob {
  eventId: string;
}
