import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { makeGaugeProvider } from '@willsoto/nestjs-prometheus';
import { DataSource } from 'typeorm';
import { ScrapeTimeReadings, ScrapeTimeSource } from './scrape-time-readings';

export const OLDEST_UNSETTLED_REFUND_AGE = 'payment_service_oldest_unsettled_refund_age_seconds';

const oldestAge = new ScrapeTimeReadings<number>('the oldest unsettled refund');

export const unsettledRefundMetricProviders = [
  makeGaugeProvider({
    name: OLDEST_UNSETTLED_REFUND_AGE,
    help: 'Age in seconds of the oldest refund Stripe has not settled yet (status pending or requires_action); 0 when none, NaN when the database cannot be read',
    async collect() {
      // Unknown when the database cannot be read: NaN, not a reassuring 0.
      this.set((await oldestAge.read()) ?? NaN);
    },
  }),
];

/**
 * Reads `refunds` for the gauge: a plain read, kept here rather than in the refunds module, which
 * owns the table and every write to it. A refund left unsettled past `RECONCILE_AFTER_SECONDS`
 * is one the reconciliation job has not managed to settle: what operators are alerted on.
 */
@Injectable()
export class UnsettledRefundsMetrics extends ScrapeTimeSource<number> {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {
    super(oldestAge);
  }

  protected async read(): Promise<number> {
    const [row] = await this.dataSource.query<Array<{ age: number | null }>>(
      `SELECT extract(epoch FROM now() - min(created_at))::float8 AS age
       FROM refunds WHERE status IN ('pending', 'requires_action')`,
    );
    return row?.age ?? 0;
  }
}
