import { Module } from '@nestjs/common';
import { PaymentsModule } from '../payments';
import { RefundsModule } from '../refunds';
import { SchedulingModule } from '../scheduling';
import { reconciliationMetricProviders, ReconciliationService } from './reconciliation.service';

@Module({
  imports: [SchedulingModule, PaymentsModule, RefundsModule],
  providers: [ReconciliationService, ...reconciliationMetricProviders],
  exports: [ReconciliationService],
})
export class ReconciliationModule {}
