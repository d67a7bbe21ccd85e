import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { CustomersModule } from '../customers';
import { IdempotencyModule } from '../idempotency';
import { StripeModule } from '../stripe';
import { PaymentTransaction } from './entities/payment-transaction.entity';
import { IntentsController } from './intents.controller';
import { PaymentsController } from './payments.controller';
import { PaymentCreationService } from './payment-creation.service';
import { PaymentRepository } from './payment.repository';
import { PaymentsService } from './payments.service';

@Module({
  imports: [TypeOrmModule.forFeature([PaymentTransaction]), IdempotencyModule, StripeModule, CustomersModule],
  controllers: [PaymentsController, IntentsController],
  providers: [PaymentsService, PaymentCreationService, PaymentRepository],
  exports: [PaymentsService],
})
export class PaymentsModule {}
