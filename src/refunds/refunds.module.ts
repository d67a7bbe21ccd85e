import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { EventsModule } from '../events';
import { IdempotencyModule } from '../idempotency';
import { PaymentsModule } from '../payments';
import { StripeModule } from '../stripe';
import { Refund } from './entities/refund.entity';
import { PaymentRefundsController, RefundsController } from './refunds.controller';
import { RefundEvents } from './refund-events';
import { RefundRepository } from './refund.repository';
import { RefundSettlement } from './refund-settlement';
import { RefundSync } from './refund-sync.service';
import { UnsettledRefundsMetrics, unsettledRefundMetricProviders } from './refunds.metrics';
import { RefundsService } from './refunds.service';

@Module({
  imports: [
    TypeOrmModule.forFeature([Refund]),
    IdempotencyModule,
    PaymentsModule,
    StripeModule,
    EventsModule,
  ],
  controllers: [RefundsController, PaymentRefundsController],
  providers: [
    RefundsService,
    RefundSettlement,
    RefundSync,
    RefundRepository,
    RefundEvents,
    ...unsettledRefundMetricProviders,
    UnsettledRefundsMetrics,
  ],
  exports: [RefundsService, RefundSync],
})
export class RefundsModule {}
