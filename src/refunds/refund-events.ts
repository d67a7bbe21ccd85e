import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { EventOutbox } from '../events';
import { RefundResponseDto } from './dto/refund-response.dto';
import { Refund, RefundStatus } from './entities/refund.entity';

/**
 * A refund's events, recorded by `RefundRepository` in the transaction of each status change:
 * `refund.<status>` with the refund as `GET /refunds/:id` answers it after the change, numbered
 * in its payment's sequence.
 */
@Injectable()
export class RefundEvents {
  constructor(private readonly outbox: EventOutbox) {}

  /** Records that `refund` reached its status from `previousStatus` (null: it was created so). */
  reached(manager: EntityManager, refund: Refund, previousStatus: RefundStatus | null): Promise<string> {
    return this.outbox.record(manager, {
      tenantId: refund.tenantId,
      paymentId: refund.paymentId,
      type: `refund.${refund.status}`,
      object: RefundResponseDto.from(refund),
      previousStatus,
    });
  }
}
