import type Stripe from 'stripe';
import { RefundStatus } from './entities/refund.entity';

/** The statuses Stripe counts in its charge's `amount_refunded`: a refund in one of them holds its amount. */
export const COUNTED_REFUND_STATUSES: ReadonlySet<RefundStatus> = new Set<RefundStatus>([
  'pending',
  'requires_action',
  'succeeded',
]);

/**
 * How far along its life a refund is. Stripe only moves a refund forward in this order
 * (`requires_action` → `pending` → `succeeded` → `failed`, and `failed` or `canceled` end it),
 * so of two reports of one refund the further one is the newer, whatever order they come in.
 */
const PROGRESS: Readonly<Record<RefundStatus, number>> = {
  requires_action: 0,
  pending: 1,
  succeeded: 2,
  failed: 3,
  canceled: 3,
};

/** Whether a refund reported `next` has moved on from `current` (a report from before it has not). */
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
      // `pending`, or a status newer than this code: not final, so its amount stays held.
      return 'pending';
  }
}
