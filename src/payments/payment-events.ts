import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { EventOutbox, PaymentGuard } from '../events';
import { PaymentResponseDto } from './dto/payment-response.dto';
import { PaymentStatus, PaymentTransaction } from './entities/payment-transaction.entity';

/**
 * A payment's events, recorded by `PaymentRepository` in the transaction of each status change:
 * `payment.<status>` with the payment as `GET /payments/:id` answers it after the change.
 */
@Injectable()
export class PaymentEvents {
  constructor(private readonly outbox: EventOutbox) {}

  /** Records that `payment` reached its status from `previousStatus` (null: it was created so). */
  reached(
    manager: EntityManager,
    payment: PaymentTransaction,
    previousStatus: PaymentStatus | null,
    guard?: PaymentGuard,
  ): Promise<string> {
    return this.outbox.record(
      manager,
      {
        tenantId: payment.tenantId,
        paymentId: payment.id,
        type: `payment.${payment.status}`,
        object: PaymentResponseDto.from(payment),
        previousStatus,
      },
      guard,
    );
  }
}
