import { Injectable } from '@nestjs/common';
import { InjectMetric, makeCounterProvider } from '@willsoto/nestjs-prometheus';
import type { Counter } from 'prom-client';

export const IDEMPOTENCY_REQUESTS = 'idempotency_requests_total';
export const IDEMPOTENCY_REDIS_FALLBACKS = 'idempotency_redis_fallbacks_total';

const OUTCOMES = ['new', 'replayed', 'conflict', 'mismatch', 'takeover'] as const;
export type IdempotencyOutcome = (typeof OUTCOMES)[number];

/** Copied to the counter at scrape time: a labelled `inc` per request costs a hashed label key. */
const requestsByOutcome: Record<IdempotencyOutcome, number> = {
  new: 0,
  replayed: 0,
  conflict: 0,
  mismatch: 0,
  takeover: 0,
};

export const idempotencyMetricProviders = [
  makeCounterProvider({
    name: IDEMPOTENCY_REQUESTS,
    help: 'Idempotent requests by outcome: new, replayed, conflict (409), mismatch (422), takeover',
    labelNames: ['outcome'],
    collect() {
      this.reset();
      for (const outcome of OUTCOMES) this.inc({ outcome }, requestsByOutcome[outcome]);
    },
  }),
  makeCounterProvider({
    name: IDEMPOTENCY_REDIS_FALLBACKS,
    help: 'Redis operations of the idempotency layer that failed and fell back to PostgreSQL alone',
    labelNames: ['operation'],
  }),
];

@Injectable()
export class IdempotencyMetrics {
  constructor(@InjectMetric(IDEMPOTENCY_REDIS_FALLBACKS) private readonly fallbacks: Counter<string>) {}

  record(outcome: IdempotencyOutcome): void {
    requestsByOutcome[outcome] += 1;
  }

  redisFallback(operation: string): void {
    this.fallbacks.inc({ operation });
  }
}
