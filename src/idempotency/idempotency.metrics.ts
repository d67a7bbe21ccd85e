import { Injectable } from '@nestjs/common';
import { InjectMetric, makeCounterProvider } from '@willsoto/nestjs-prometheus';
import type { Counter } from 'prom-client';

export const IDEMPOTENCY_REQUESTS = 'idempotency_requests_total';
export const IDEMPOTENCY_REDIS_FALLBACKS = 'idempotency_redis_fallbacks_total';

export type IdempotencyOutcome = 'new' | 'replayed' | 'conflict' | 'mismatch' | 'takeover';

export const idempotencyMetricProviders = [
  makeCounterProvider({
    name: IDEMPOTENCY_REQUESTS,
    help: 'Idempotent requests by outcome: new, replayed, conflict (409), mismatch (422), takeover',
    labelNames: ['outcome'],
  }),
  makeCounterProvider({
    name: IDEMPOTENCY_REDIS_FALLBACKS,
    help: 'Redis operations of the idempotency layer that failed and fell back to PostgreSQL alone',
    labelNames: ['operation'],
  }),
];

@Injectable()
export class IdempotencyMetrics {
  constructor(
    @InjectMetric(IDEMPOTENCY_REQUESTS) private readonly requests: Counter<string>,
    @InjectMetric(IDEMPOTENCY_REDIS_FALLBACKS) private readonly fallbacks: Counter<string>,
  ) {}

  record(outcome: IdempotencyOutcome): void {
    this.requests.inc({ outcome });
  }

  redisFallback(operation: string): void {
    this.fallbacks.inc({ operation });
  }
}
