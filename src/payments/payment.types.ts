import type { RecordedRow } from '../idempotency';
import type { PaymentStatus, PaymentTransaction } from './entities/payment-transaction.entity';

export type NewPayment = Pick<
  PaymentTransaction,
  | 'kind'
  | 'status'
  | 'amount'
  | 'currency'
  | 'paymentMethodId'
  | 'customerId'
  | 'description'
  | 'metadata'
  | 'relatedPaymentId'
>;

/** A payment row a request recorded (recovery point 1). */
export type RecordedPayment = RecordedRow<PaymentTransaction>;

/** A payment as an event names it: the tenant always comes from here, never from the event. */
export interface PaymentRef {
  id: string;
  tenantId: string;
}

/** A payment the reconciliation job looks at. */
export interface UnsettledPayment extends PaymentRef {
  stripePaymentIntentId: string;
}

export interface StatusMove {
  from: PaymentStatus;
  to: PaymentStatus;
}

/** What is known of a payment's refunds beside their total. */
export interface RefundNews {
  /** Stripe holds refunds for the payment, so it was paid. */
  paid?: boolean;
  /** The PaymentIntent the refunds are of, for a row not linked to it yet. */
  paymentIntentId?: string;
  /** When the read of Stripe's refund list these come from began. */
  readAt?: Date;
}

/** A page of a tenant's payments, newest first (`GET /payments`). */
export interface PaymentQuery {
  tenantId: string;
  status?: PaymentStatus;
  customerId?: string;
  createdFrom?: Date;
  createdTo?: Date;
  limit: number;
  cursor?: string;
}
