import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { IdempotencyModule } from '../idempotency';
import { PaymentsModule } from '../payments';
import { StripeModule } from '../stripe';
import { Refund } from './entities/refund.entity';
import { PaymentRefundsController, RefundsController } from './refunds.controller';
import { RefundRepository } from './refund.repository';
import { RefundSettlement } from './refund-settlement';
import { RefundSync } from './refund-sync.service';
import { UnsettledRefundsMetrics, unsettledRefundMetricProviders } from './refunds.metrics';
import { RefundsService } from './refunds.service';

@Module({
  imports: [TypeOrmModule.forFeature([Refund]), IdempotencyModule, PaymentsModule, StripeModule],
  controllers: [RefundsController, PaymentRefundsController],
  providers: [
    RefundsService,
    RefundSettlement,
    RefundSync,
    RefundRepository,
    ...unsettledRefundMetricProviders,
    UnsettledRefundsMetrics,
  ],
  exports: [RefundsService, RefundSync],
})
export class RefundsModule {}
