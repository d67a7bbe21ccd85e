import type Stripe from 'stripe';
import { PaymentStatus } from './entities/payment-transaction.entity';

/** Our status for a PaymentIntent as Stripe reports it. */
export function paymentStatusOf(intent: Stripe.PaymentIntent): PaymentStatus {
  switch (intent.status) {
    case 'succeeded':
      return 'succeeded';
    case 'processing':
    case 'requires_capture':
      return 'processing';
    case 'requires_action':
      return 'requires_action';
    case 'canceled':
      return 'canceled';
    case 'requires_payment_method':
      // Stripe returns a declined PaymentIntent to requires_payment_method with the error.
      return intent.last_payment_error ? 'failed' : 'requires_payment_method';
    case 'requires_confirmation':
      return 'requires_payment_method';
    default:
      // A status newer than this code: not final, so nothing is concluded from it.
      return 'processing';
  }
}

/**
 * How a payment may move from one status to another:
 * - `forward`: along the PaymentIntent's life, never back (docs/design/webhooks.md: a late `processing` or
 *   `payment_failed` never undoes `succeeded`; refund states only follow success);
 * - `retry`: a failed PaymentIntent tried again (another card, another 3-D Secure): a late event
 *   from before the failure looks the same, so only Stripe's current word may make this move.
 */
export type Transition = 'forward' | 'retry';

/**
 * The one table of allowed transitions for a PaymentIntent's news; a pair not listed is refused
 * (`canceled` and `refunded` are final here). Refunds move a paid payment among `succeeded`,
 * `partially_refunded` and `refunded` by what Stripe counts as refunded (`refundedStatus`), both
 * ways: a refund that fails gives its amount back.
 */
const TRANSITIONS: Readonly<Record<PaymentStatus, Partial<Record<PaymentStatus, Transition>>>> = {
  requires_payment_method: {
    requires_action: 'forward',
    processing: 'forward',
    succeeded: 'forward',
    failed: 'forward',
    canceled: 'forward',
  },
  requires_action: {
    // The customer abandoned authentication: Stripe asks for a payment method again.
    requires_payment_method: 'forward',
    processing: 'forward',
    succeeded: 'forward',
    failed: 'forward',
    canceled: 'forward',
  },
  processing: { succeeded: 'forward', failed: 'forward', canceled: 'forward' },
  failed: { requires_action: 'retry', processing: 'retry', succeeded: 'forward', canceled: 'forward' },
  succeeded: { partially_refunded: 'forward', refunded: 'forward' },
  partially_refunded: { refunded: 'forward' },
  refunded: {},
  canceled: {},
};

export function transitionOf(from: PaymentStatus, to: PaymentStatus): Transition | undefined {
  return TRANSITIONS[from][to];
}

export function canTransition(from: PaymentStatus, to: PaymentStatus): boolean {
  return transitionOf(from, to) !== undefined;
}

/**
 * Payments a refund may be asked of: those that succeeded. A fully refunded one still did, so
 * asking it for more is "above what is left" (422), not "not refundable" (409).
 */
export const REFUNDABLE_STATUSES: ReadonlySet<PaymentStatus> = new Set([
  'succeeded',
  'partially_refunded',
  'refunded',
]);

/** The status a payment has once `amountRefunded` of its `amount` is refunded. */
export function refundedStatus(amount: number, amountRefunded: number): PaymentStatus {
  if (amountRefunded <= 0) return 'succeeded';
  return amountRefunded >= amount ? 'refunded' : 'partially_refunded';
}
