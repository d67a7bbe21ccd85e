import { Injectable } from '@nestjs/common';
import { makeGaugeProvider } from '@willsoto/nestjs-prometheus';
import { ScrapeTimeReadings, ScrapeTimeSource } from '../common/metrics/scrape-time-readings';
import { RefundRepository } from './refund.repository';

export const OLDEST_UNSETTLED_REFUND_AGE = 'payment_service_oldest_unsettled_refund_age_seconds';

const oldestAge = new ScrapeTimeReadings<number>('the oldest unsettled refund');

export const unsettledRefundMetricProviders = [
  makeGaugeProvider({
    name: OLDEST_UNSETTLED_REFUND_AGE,
    help: 'Age in seconds of the oldest refund Stripe has not settled yet (status pending or requires_action); 0 when none, NaN when the database cannot be read',
    async collect() {
      // NaN, not a reassuring 0, when the database cannot be read.
      this.set((await oldestAge.read()) ?? NaN);
    },
  }),
];

/** Unsettled past `RECONCILE_AFTER_SECONDS` means reconciliation failed: operators are alerted. */
@Injectable()
export class UnsettledRefundsMetrics extends ScrapeTimeSource<number> {
  constructor(private readonly refunds: RefundRepository) {
    super(oldestAge);
  }

  protected read(): Promise<number> {
    return this.refunds.oldestUnsettledAgeSeconds();
  }
}
