import { Process, Processor } from '@nestjs/bull';
import { Logger } from '@nestjs/common';
import type { Job } from 'bull';
import type Stripe from 'stripe';
import { describeError } from '../common/errors/error-like';
import { AppConfig } from '../config/app-config';
import { withEventCause } from '../events';
import { StripeEventDispatcher } from './stripe-event.dispatcher';
import { WebhookInboxService } from './webhook-inbox.service';
import { STRIPE_WEBHOOK_QUEUE, StripeWebhookJob } from './webhooks.constants';

/** Dead-letters the event at once: no retry can succeed. */
class UnprocessableEventError extends Error {
  override readonly name = 'UnprocessableEventError';
}

/** Kept small: events of one payment wait on its row lock anyway, and Stripe calls are few. */
const CONCURRENCY = 4;

/**
 * A row moves `processing` → `processed` | `ignored`, or to `failed` (rethrown, so Bull retries with backoff)
 * and to `dead` after `WEBHOOK_MAX_ATTEMPTS`. The row's attempt count decides, not Bull's: a job re-added by
 * the sweeper or a replay restarts Bull's count, and a run restarted by Bull's stalled check is not counted
 * by Bull at all.
 */
@Processor(STRIPE_WEBHOOK_QUEUE)
export class StripeWebhookProcessor {
  private readonly logger = new Logger(StripeWebhookProcessor.name);

  constructor(
    private readonly inbox: WebhookInboxService,
    private readonly dispatcher: StripeEventDispatcher,
    private readonly config: AppConfig,
  ) {}

  @Process({ concurrency: CONCURRENCY })
  async process(job: Job<StripeWebhookJob>): Promise<void> {
    const { eventId } = job.data;
    const row = await this.inbox.beginAttempt(eventId);
    if (!row) return;
    const startedAt = Date.now();
    try {
      if (!row.payload) throw new UnprocessableEventError('Kept raw: PostgreSQL could not store it as JSON');
      const { outcome, reason } = await withEventCause({ kind: 'stripe_event', stripeEventId: eventId }, () =>
        this.dispatcher.dispatch(row.payload as unknown as Stripe.Event, { receivedAt: row.receivedAt }),
      );
      await this.inbox.finishAttempt(eventId, outcome, reason);
      this.logger.log(
        { eventId, type: row.type, outcome, reason, durationMs: Date.now() - startedAt },
        'Webhook event processed',
      );
    } catch (error) {
      const dead =
        row.attempts >= this.config.webhooks.maxAttempts || error instanceof UnprocessableEventError;
      const { type, message } = describeError(error);
      await this.inbox.failAttempt(eventId, dead ? 'dead' : 'failed', `${type}: ${message}`);
      this.logger.warn(
        { eventId, type: row.type, attempt: row.attempts, dead, err: describeError(error) },
        dead ? 'Webhook event dead-lettered' : 'Webhook event failed; retrying',
      );
      // Dead is final, whatever attempts Bull has left for this job.
      if (dead) await job.discard();
      throw error;
    }
  }
}
