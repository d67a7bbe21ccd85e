import type Stripe from 'stripe';
import { RefundStatus } from './entities/refund.entity';

/** Statuses Stripe counts in the charge's `amount_refunded`: a refund in one of them holds its amount. */
export const COUNTED_REFUND_STATUSES: ReadonlySet<RefundStatus> = new Set<RefundStatus>([
  'pending',
  'requires_action',
  'succeeded',
]);

/** Stripe moves a refund only forward in this order, so of two reports the further is the newer. */
const PROGRESS: Readonly<Record<RefundStatus, number>> = {
  requires_action: 0,
  pending: 1,
  succeeded: 2,
  failed: 3,
  canceled: 3,
};

export function isNewerStatus(next: RefundStatus, current: RefundStatus): boolean {
  return PROGRESS[next] > PROGRESS[current];
}

export function refundStatusOf(refund: Pick<Stripe.Refund, 'status'>): RefundStatus {
  switch (refund.status) {
    case 'requires_action':
    case 'succeeded':
    case 'failed':
    case 'canceled':
      return refund.status;
    default:
      // `pending`, or a status added after this code was written: not final, so the amount stays held.
      return 'pending';
  }
}
