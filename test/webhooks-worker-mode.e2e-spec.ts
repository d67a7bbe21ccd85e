import { DataSource } from 'typeorm';
import { StripeWebhookProcessor } from '../src/webhooks/stripe-webhook.processor';
import { WebhookInboxService } from '../src/webhooks/webhook-inbox.service';
import { createPaymentsHarness, PaymentsHarness } from './support/payments-app';
import { deliver, intentEvent } from './support/stripe-events';

describe('WORKER_MODE=api receives and enqueues, never processes', () => {
  let harness: PaymentsHarness;

  beforeAll(async () => {
    harness = await createPaymentsHarness({ WORKER_MODE: 'api' });
  });
  afterAll(() => harness.close());

  it('has no webhook processor and leaves the event to a worker', async () => {
    expect(() => harness.app.app.get(StripeWebhookProcessor)).toThrow();
    const event = intentEvent('payment_intent.succeeded', { id: 'pi_for_a_worker' });
    expect((await deliver(harness.app, event)).body).toEqual({ received: true });
    // A sweep pass (as the CLI or a worker runs it) re-enqueues; nothing in this process takes the job.
    await harness.app.app.get(WebhookInboxService).sweepPending();
    const [row] = await harness.app.app
      .get(DataSource)
      .query<Array<{ status: string; attempts: number }>>(
        'SELECT status, attempts FROM webhook_inbox WHERE event_id = $1',
        [event.id],
      );
    expect(row).toEqual({ status: 'pending', attempts: 0 });
  });
});
