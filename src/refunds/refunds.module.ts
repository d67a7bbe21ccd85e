import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { IdempotencyModule } from '../idempotency';
import { PaymentsModule } from '../payments/payments.module';
import { StripeModule } from '../stripe/stripe.module';
import { Refund } from './entities/refund.entity';
import { RefundsController } from './refunds.controller';
import { RefundEventSettlement, RefundSettlement } from './refund-settlement';
import { RefundsService } from './refunds.service';

@Module({
  imports: [TypeOrmModule.forFeature([Refund]), IdempotencyModule, PaymentsModule, StripeModule],
  controllers: [RefundsController],
  providers: [RefundsService, RefundSettlement, RefundEventSettlement],
  exports: [RefundsService, RefundEventSettlement],
})
export class RefundsModule {}
