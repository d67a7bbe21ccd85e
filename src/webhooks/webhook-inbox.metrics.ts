import { Injectable } from '@nestjs/common';
import { makeGaugeProvider } from '@willsoto/nestjs-prometheus';
import { ScrapeTimeReadings, ScrapeTimeSource } from '../common/metrics/scrape-time-readings';
import { InboxBacklog, UNSETTLED_STATUSES, WebhookInboxService } from './webhook-inbox.service';

export const WEBHOOK_INBOX_EVENTS = 'payment_service_webhook_inbox_events';
export const WEBHOOK_OLDEST_PENDING_AGE = 'payment_service_oldest_pending_webhook_age_seconds';
export const WEBHOOK_DEAD_LETTERS = 'payment_service_webhook_dead_letters';

const backlog = new ScrapeTimeReadings<InboxBacklog>('the webhook inbox');

/** Read from PostgreSQL at each scrape, so every instance reports the same numbers. */
export const webhookInboxMetricProviders = [
  makeGaugeProvider({
    name: WEBHOOK_INBOX_EVENTS,
    help: 'Stripe events in the inbox by status, for the statuses still needing attention (pending, processing, failed, dead)',
    labelNames: ['status'],
    async collect() {
      this.reset();
      const reading = await backlog.read();
      if (reading)
        for (const status of [...UNSETTLED_STATUSES, 'dead'] as const)
          this.set({ status }, reading.byStatus[status]);
    },
  }),
  makeGaugeProvider({
    name: WEBHOOK_OLDEST_PENDING_AGE,
    help: 'Age in seconds of the oldest Stripe event received and not yet settled (pending, processing or failed); 0 when none, NaN when the database cannot be read',
    async collect() {
      // NaN, not a reassuring 0, when the database cannot be read.
      this.set((await backlog.read())?.oldestUnsettledAgeSeconds ?? NaN);
    },
  }),
  makeGaugeProvider({
    name: WEBHOOK_DEAD_LETTERS,
    help: 'Stripe events dead-lettered (status dead), waiting for an operator to replay them',
    async collect() {
      this.set((await backlog.read())?.byStatus.dead ?? NaN);
    },
  }),
];

@Injectable()
export class WebhookInboxMetrics extends ScrapeTimeSource<InboxBacklog> {
  constructor(private readonly inbox: WebhookInboxService) {
    super(backlog);
  }

  protected read(): Promise<InboxBacklog> {
    return this.inbox.backlog();
  }
}
