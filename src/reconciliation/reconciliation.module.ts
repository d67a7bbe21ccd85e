import { Module } from '@nestjs/common';
import { PaymentsModule } from '../payments/payments.module';
import { RefundsModule } from '../refunds/refunds.module';
import { SchedulingModule } from '../scheduling/scheduling.module';
import { ReconciliationService } from './reconciliation.service';

@Module({
  imports: [SchedulingModule, PaymentsModule, RefundsModule],
  providers: [ReconciliationService],
  exports: [ReconciliationService],
})
export class ReconciliationModule {}
