import { Column, Entity, JoinColumn, ManyToOne, PrimaryColumn, Unique } from 'typeorm';
import { PaymentTransaction } from '../../payments/entities/payment-transaction.entity';

/** Events applied to each payment, in order; a redelivered event finds its row and changes nothing. */
@Entity({ name: 'payment_event_sequence' })
@Unique('payment_event_sequence_event_unique', ['paymentId', 'eventId'])
export class PaymentEventSequence {
  @PrimaryColumn({ name: 'payment_id', type: 'uuid' })
  paymentId!: string;

  @PrimaryColumn({ name: 'sequence_number', type: 'integer' })
  sequenceNumber!: number;

  @ManyToOne(() => PaymentTransaction, { onDelete: 'RESTRICT' })
  @JoinColumn({ name: 'payment_id', foreignKeyConstraintName: 'payment_event_sequence_payment_fk' })
  payment?: PaymentTransaction;

  @Column({ name: 'event_id', type: 'varchar', length: 255 })
  eventId!: string;

  @Column({ name: 'event_type', type: 'varchar', length: 255 })
  eventType!: string;

  /** Stripe's `created` time for the event, used to order news that arrives late. */
  @Column({ name: 'event_created', type: 'timestamptz' })
  eventCreated!: Date;

  @Column({ name: 'applied_at', type: 'timestamptz', default: () => 'now()' })
  appliedAt!: Date;
}
