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
 * How far along a payment is. Status only moves forward: a late or repeated event never
 * undoes `succeeded` (SPEC §6.5), and refund states only follow success.
 */
const RANK: Record<PaymentStatus, number> = {
  requires_payment_method: 0,
  requires_action: 1,
  processing: 2,
  failed: 3,
  canceled: 4,
  succeeded: 5,
  partially_refunded: 6,
  refunded: 7,
};

/** Terminal before money moves: a new attempt is a new PaymentIntent, not a transition. */
const CLOSED: ReadonlySet<PaymentStatus> = new Set(['canceled']);

export function canTransition(from: PaymentStatus, to: PaymentStatus): boolean {
  if (from === to || CLOSED.has(from)) return false;
  if (from === 'failed') return to !== 'requires_payment_method';
  return RANK[to] > RANK[from] || (from === 'requires_action' && to === 'requires_payment_method');
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
