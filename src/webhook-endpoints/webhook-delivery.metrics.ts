import { Injectable } from '@nestjs/common';
import {
  InjectMetric,
  makeCounterProvider,
  makeGaugeProvider,
  makeHistogramProvider,
} from '@willsoto/nestjs-prometheus';
import type { Histogram } from 'prom-client';
import { EventsService } from '../events';
import { ScrapeTimeReadings, ScrapeTimeSource } from '../common/metrics/scrape-time-readings';
import { WebhookDeliveryRepository } from './webhook-delivery.repository';
import { WebhookEndpointsService } from './webhook-endpoints.service';

export const WEBHOOK_DELIVERIES = 'payment_service_webhook_deliveries_total';
export const WEBHOOK_DELIVERY_DURATION = 'payment_service_webhook_delivery_duration_seconds';
export const OLDEST_UNDELIVERED_EVENT_AGE = 'payment_service_oldest_undelivered_event_age_seconds';
export const DISABLED_WEBHOOK_ENDPOINTS = 'payment_service_disabled_webhook_endpoints';

const OUTCOMES = ['succeeded', 'retrying', 'failed'] as const;
export type AttemptOutcome = (typeof OUTCOMES)[number];

/** Attempts by outcome, counted in plain numbers and handed to the counter at scrape time. */
const attemptsByOutcome: Record<AttemptOutcome, number> = { succeeded: 0, retrying: 0, failed: 0 };

interface OutboundBacklog {
  oldestUndeliveredAgeSeconds: number;
  disabledEndpoints: number;
}

const backlog = new ScrapeTimeReadings<OutboundBacklog>('the outgoing webhooks');

export const webhookDeliveryMetricProviders = [
  makeCounterProvider({
    name: WEBHOOK_DELIVERIES,
    help: 'Webhook delivery attempts to tenants’ endpoints by outcome: succeeded (2xx), retrying (failed, another attempt is due), failed (failed, given up)',
    labelNames: ['outcome'],
    collect() {
      this.reset();
      for (const outcome of OUTCOMES) this.inc({ outcome }, attemptsByOutcome[outcome]);
    },
  }),
  makeHistogramProvider({
    name: WEBHOOK_DELIVERY_DURATION,
    help: 'Duration of webhook delivery attempts, from resolving the host to the answer’s status (or the failure)',
    buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
  }),
  makeGaugeProvider({
    name: OLDEST_UNDELIVERED_EVENT_AGE,
    help: 'Age in seconds of the oldest event not yet delivered to every endpoint subscribed (not relayed, or a delivery pending); 0 when none, NaN when the database cannot be read',
    async collect() {
      this.set((await backlog.read())?.oldestUndeliveredAgeSeconds ?? NaN);
    },
  }),
  makeGaugeProvider({
    name: DISABLED_WEBHOOK_ENDPOINTS,
    help: 'Tenants’ webhook endpoints disabled, by their tenant or after 5 days of failed deliveries',
    async collect() {
      this.set((await backlog.read())?.disabledEndpoints ?? NaN);
    },
  }),
];

@Injectable()
export class WebhookDeliveryMetrics extends ScrapeTimeSource<OutboundBacklog> {
  constructor(
    @InjectMetric(WEBHOOK_DELIVERY_DURATION) private readonly duration: Histogram<string>,
    private readonly deliveries: WebhookDeliveryRepository,
    private readonly endpoints: WebhookEndpointsService,
    private readonly events: EventsService,
  ) {
    super(backlog);
  }

  attempted(outcome: AttemptOutcome, durationMs: number): void {
    attemptsByOutcome[outcome] += 1;
    this.duration.observe(durationMs / 1000);
  }

  protected async read(): Promise<OutboundBacklog> {
    const [pending, unrelayedAt, disabledEndpoints] = await Promise.all([
      this.deliveries.backlog(),
      this.events.oldestUnrelayedAt(),
      this.endpoints.countDisabled(),
    ]);
    const oldest = [pending.oldestPendingEventAt, unrelayedAt]
      .filter((at): at is Date => at !== null)
      .reduce((min, at) => Math.min(min, at.getTime()), Infinity);
    return {
      oldestUndeliveredAgeSeconds: oldest === Infinity ? 0 : Math.max(0, (Date.now() - oldest) / 1000),
      disabledEndpoints,
    };
  }
}
