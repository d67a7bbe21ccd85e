import { Module } from '@nestjs/common';
import { PaymentsModule } from '../payments/payments.module';
import { RefundsModule } from '../refunds/refunds.module';
import { SchedulingModule } from '../scheduling/scheduling.module';
import { reconciliationMetricProviders, ReconciliationService } from './reconciliation.service';

@Module({
  imports: [SchedulingModule, PaymentsModule, RefundsModule],
  providers: [ReconciliationService, ...reconciliationMetricProviders],
  exports: [ReconciliationService],
})
export class ReconciliationModule {}
