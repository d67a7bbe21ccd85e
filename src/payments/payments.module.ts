import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { CustomersModule } from '../customers';
import { EventsModule } from '../events';
import { IdempotencyModule } from '../idempotency';
import { StripeModule } from '../stripe';
import { PaymentTransaction } from './entities/payment-transaction.entity';
import { IntentsController } from './intents.controller';
import { PaymentsController } from './payments.controller';
import { PaymentCreationService } from './payment-creation.service';
import { PaymentEvents } from './payment-events';
import { PaymentRepository } from './payment.repository';
import { PaymentsService } from './payments.service';

@Module({
  imports: [
    TypeOrmModule.forFeature([PaymentTransaction]),
    IdempotencyModule,
    StripeModule,
    CustomersModule,
    EventsModule,
  ],
  controllers: [PaymentsController, IntentsController],
  providers: [PaymentsService, PaymentCreationService, PaymentRepository, PaymentEvents],
  exports: [PaymentsService],
})
export class PaymentsModule {}
