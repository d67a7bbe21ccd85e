import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { EventOutbox } from '../events';
import { RefundResponseDto } from './dto/refund-response.dto';
import { Refund, RefundStatus } from './entities/refund.entity';

/** Recorded in the transaction of each status change, with the refund as `GET /refunds/:id` returns it. */
@Injectable()
export class RefundEvents {
  constructor(private readonly outbox: EventOutbox) {}

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
