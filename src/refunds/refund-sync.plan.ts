import type Stripe from 'stripe';
import { Refund, RefundStatus } from './entities/refund.entity';
import { COUNTED_REFUND_STATUSES, isNewerStatus, refundStatusOf } from './refund-status';

export type KnownRefund = Pick<
  Refund,
  'id' | 'source' | 'amount' | 'status' | 'failureReason' | 'stripeRefundId'
>;

export interface StripeRefundState {
  id: string;
  amount: number;
  currency: string;
  status: RefundStatus;
  failureReason: string | null;
  reason: string | null;
  /** Every refund made through the API carries our id in its metadata. */
  ourRefundId: string | null;
}

/** `link` ties a row to its Stripe refund, `update` moves its status, `record` adds an outside one. */
export type RefundChange =
  | { kind: 'link'; refundId: string; from: RefundStatus; stripe: StripeRefundState }
  | { kind: 'update'; refundId: string; from: RefundStatus; stripe: StripeRefundState }
  | { kind: 'record'; stripe: StripeRefundState };

export interface RefundSyncPlan {
  changes: RefundChange[];
  amountRefunded: number;
}

export function stripeRefundState(refund: Stripe.Refund): StripeRefundState {
  const ourRefundId = refund.metadata?.ps_refund_id;
  return {
    id: refund.id,
    amount: refund.amount,
    currency: refund.currency,
    status: refundStatusOf(refund),
    failureReason: refund.failure_reason ?? null,
    reason: refund.reason ?? null,
    ourRefundId: ourRefundId && UUID.test(ourRefundId) ? ourRefundId : null,
  };
}

/** Rows only move forward, so any set of list reads, in any order, ends where the newest says. */
export function planRefundSync(
  known: readonly KnownRefund[],
  listed: readonly StripeRefundState[],
): RefundSyncPlan {
  const rows = new Map(known.map((row) => [row.id, { ...row }]));
  const byStripeId = new Map(
    known.filter((row) => row.stripeRefundId).map((row) => [row.stripeRefundId as string, row.id]),
  );
  const changes: RefundChange[] = [];
  const recorded: StripeRefundState[] = [];
  for (const refund of listed) {
    const rowId = byStripeId.get(refund.id) ?? unlinkedRowFor(refund, rows);
    const row = rowId === undefined ? undefined : rows.get(rowId);
    if (!row) {
      changes.push({ kind: 'record', stripe: refund });
      recorded.push(refund);
      continue;
    }
    const linking = row.stripeRefundId === null;
    if (linking || isNewerStatus(refund.status, row.status)) {
      changes.push({ kind: linking ? 'link' : 'update', refundId: row.id, from: row.status, stripe: refund });
      Object.assign(row, {
        stripeRefundId: refund.id,
        status: refund.status,
        failureReason: refund.failureReason,
      });
    }
  }
  const counted = (refund: { status: RefundStatus; amount: number }) =>
    COUNTED_REFUND_STATUSES.has(refund.status) ? refund.amount : 0;
  const amountRefunded =
    [...rows.values()]
      .filter((row) => row.stripeRefundId !== null)
      .reduce((sum, row) => sum + counted(row), 0) +
    recorded.reduce((sum, refund) => sum + counted(refund), 0);
  return { changes, amountRefunded };
}

/**
 * The API refund named in the metadata, whatever its status (a reservation released as lost may turn out to
 * exist). Outside refunds recorded before they had a Stripe id are matched by amount, so they are not counted
 * twice.
 */
function unlinkedRowFor(refund: StripeRefundState, rows: Map<string, KnownRefund>): string | undefined {
  const unlinked = [...rows.values()].filter((row) => row.stripeRefundId === null);
  const ours = unlinked.find((row) => row.id === refund.ourRefundId && row.source === 'api');
  if (ours) return ours.id;
  if (refund.ourRefundId) return undefined;
  return unlinked.find((row) => row.source === 'outside' && row.amount === refund.amount)?.id;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
