import { Injectable } from '@nestjs/common';
import { InjectMetric, makeCounterProvider } from '@willsoto/nestjs-prometheus';
import type { Counter } from 'prom-client';
import type { RateLimitFamily } from './rate-limit-family';

export const RATE_LIMIT_FALLBACKS = 'rate_limit_fallbacks_total';

export const rateLimitMetricProviders = [
  makeCounterProvider({
    name: RATE_LIMIT_FALLBACKS,
    help: 'Requests let through without a rate-limit check because Redis could not be reached',
    labelNames: ['family'],
  }),
];

@Injectable()
export class RateLimitMetrics {
  constructor(@InjectMetric(RATE_LIMIT_FALLBACKS) private readonly fallbacks: Counter<string>) {}

  fallback(family: RateLimitFamily): void {
    this.fallbacks.inc({ family });
  }
}
