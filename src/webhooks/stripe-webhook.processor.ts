import { Process, Processor } from '@nestjs/bull';
import { Logger } from '@nestjs/common';
import type { Job } from 'bull';
import type Stripe from 'stripe';
import { describeError } from '../common/errors/error-like';
import { StripeEventDispatcher } from './stripe-event.dispatcher';
import { WebhookInboxService } from './webhook-inbox.service';
import { STRIPE_WEBHOOK_QUEUE, StripeWebhookJob } from './webhooks.constants';

/** Small: events of one payment queue on its row lock anyway, and Stripe calls are few. */
const CONCURRENCY = 4;

/**
 * Processes inbox events from Bull, in `worker` and `all` processes only. The row moves
 * `processing` → `processed` | `ignored`, or `failed` (rethrown, so Bull retries with backoff)
 * and `dead` on the last attempt. Effects are applied through `executeIdempotent`, so a job
 * run twice (stalled worker, replay, sweeper) changes nothing the second time.
 */
@Processor(STRIPE_WEBHOOK_QUEUE)
export class StripeWebhookProcessor {
  private readonly logger = new Logger(StripeWebhookProcessor.name);

  constructor(
    private readonly inbox: WebhookInboxService,
    private readonly dispatcher: StripeEventDispatcher,
  ) {}

  @Process({ concurrency: CONCURRENCY })
  async process(job: Job<StripeWebhookJob>): Promise<void> {
    const { eventId } = job.data;
    const row = await this.inbox.beginAttempt(eventId);
    if (!row) return;
    const startedAt = Date.now();
    try {
      const { outcome, reason } = await this.dispatcher.dispatch(row.payload as unknown as Stripe.Event, {
        receivedAt: row.receivedAt,
      });
      await this.inbox.finishAttempt(eventId, outcome, reason);
      this.logger.log(
        { eventId, type: row.type, outcome, reason, durationMs: Date.now() - startedAt },
        'Webhook event processed',
      );
    } catch (error) {
      const last = job.attemptsMade + 1 >= (job.opts.attempts ?? 1);
      const { type, message } = describeError(error);
      await this.inbox.failAttempt(eventId, last ? 'dead' : 'failed', `${type}: ${message}`);
      this.logger.warn(
        { eventId, type: row.type, attempt: job.attemptsMade + 1, dead: last, err: describeError(error) },
        last ? 'Webhook event dead-lettered' : 'Webhook event failed; retrying',
      );
      throw error;
    }
  }
}
