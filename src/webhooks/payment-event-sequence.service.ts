import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { EntityManager, Repository } from 'typeorm';
import { EventLockedPayment, PaymentRef, PaymentsService } from '../payments';
import { PaymentEventSequence } from './entities/payment-event-sequence.entity';

export type Applied<T> = { applied: true; result: T } | { applied: false };

export interface EventContext {
  payment: EventLockedPayment;
  manager: EntityManager;
  /** The newest Stripe `created` time among applied events whose type starts with `prefix`, or null. */
  newestApplied(prefix: string): Promise<number | null>;
}

/** The only writer of `payment_event_sequence`. */
@Injectable()
export class PaymentEventSequenceService {
  constructor(
    private readonly payments: PaymentsService,
    @InjectRepository(PaymentEventSequence) private readonly applied: Repository<PaymentEventSequence>,
  ) {}

  /** Reads without the payment's lock; `executeIdempotent` checks again under it. */
  isApplied(paymentId: string, eventId: string): Promise<boolean> {
    return this.applied.existsBy({ paymentId, eventId });
  }

  /**
   * Applies `effect` at most once per (payment, event). Under the row lock, the effect and the event's record
   * commit together, so a worker killed half-way leaves nothing and the retry applies it once.
   */
  executeIdempotent<T>(
    payment: PaymentRef,
    event: { id: string; type: string; created: number },
    effect: (context: EventContext) => Promise<T>,
  ): Promise<Applied<T>> {
    return this.payments.withEventLock(payment, async (locked, manager) => {
      const sequence = manager.getRepository(PaymentEventSequence);
      if (await sequence.existsBy({ paymentId: locked.id, eventId: event.id })) return { applied: false };
      const result = await effect({
        payment: locked,
        manager,
        newestApplied: (prefix) => newestApplied(manager, locked.id, prefix),
      });
      // The row lock serialises this payment's events, so max + 1 cannot be taken twice.
      await manager.query(
        `INSERT INTO payment_event_sequence (payment_id, sequence_number, event_id, event_type, event_created)
         SELECT $1, COALESCE(MAX(sequence_number), 0) + 1, $2, $3, to_timestamp($4)
         FROM payment_event_sequence WHERE payment_id = $1`,
        [locked.id, event.id, event.type, event.created],
      );
      return { applied: true, result };
    });
  }
}

async function newestApplied(
  manager: EntityManager,
  paymentId: string,
  prefix: string,
): Promise<number | null> {
  const [row] = await manager.query<Array<{ newest: number | null }>>(
    `SELECT extract(epoch FROM MAX(event_created))::float8 AS newest
     FROM payment_event_sequence WHERE payment_id = $1 AND starts_with(event_type, $2)`,
    [paymentId, prefix],
  );
  return row?.newest ?? null;
}
