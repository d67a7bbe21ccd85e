import { Module } from '@nestjs/common';
import { IdempotencyLeases } from './idempotency-leases';
import { IdempotencyRecordStore } from './idempotency-record.store';
import { IdempotencyCache } from './idempotency.cache';
import { IdempotencyInterceptor } from './idempotency.interceptor';
import { idempotencyMetricProviders, IdempotencyMetrics } from './idempotency.metrics';
import { IdempotencyService } from './idempotency.service';
import { UnwrittenSettlements } from './unwritten-settlements';

@Module({
  providers: [
    ...idempotencyMetricProviders,
    IdempotencyMetrics,
    IdempotencyRecordStore,
    IdempotencyCache,
    UnwrittenSettlements,
    IdempotencyLeases,
    IdempotencyService,
    IdempotencyInterceptor,
  ],
  exports: [IdempotencyService, IdempotencyInterceptor],
})
export class IdempotencyModule {}
