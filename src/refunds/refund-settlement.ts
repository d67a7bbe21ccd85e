import { Injectable, Logger } from '@nestjs/common';
import type Stripe from 'stripe';
import { PaymentsService } from '../payments/payments.service';
import { Refund, RefundStatus } from './entities/refund.entity';

/** What settling needs to know of a refund row: which payment's lock to take. */
export type RefundRef = Pick<Refund, 'id' | 'tenantId' | 'paymentId'>;

export interface Settled {
  refund: Refund;
  /** False when the row already had its Stripe refund: someone else settled it first. */
  settled: boolean;
}

/**
 * The one way a refund row learns its outcome, for the request path and the reconciliation
 * job alike. Both run under the payment's row lock, so a refund's amount reaches the payment's
 * `amountRefunded` once, whoever gets there first.
 */
@Injectable()
export class RefundSettlement {
  private readonly logger = new Logger(RefundSettlement.name);

  constructor(private readonly payments: PaymentsService) {}

  /**
   * Records Stripe's refund on the row, once: only while the row has no Stripe refund yet. A
   * succeeded refund adds its amount to the payment. A row already released (`failed`) that
   * Stripe turns out to hold is still recorded: the money moved, and Stripe never refunds more
   * than the charge, so the payment stays within its amount.
   */
  settle(ref: RefundRef, stripeRefund: Stripe.Refund): Promise<Settled> {
    return this.payments.withRefundLock(ref.tenantId, ref.paymentId, async (payment, manager) => {
      const refunds = manager.getRepository(Refund);
      const status = refundStatusOf(stripeRefund);
      const result = await refunds
        .createQueryBuilder()
        .update()
        .set({ status, stripeRefundId: stripeRefund.id })
        .where('id = :id AND stripe_refund_id IS NULL', { id: ref.id })
        .execute();
      const settled = result.affected === 1;
      const refund = await refunds.findOneByOrFail({ id: ref.id });
      if (settled && status === 'succeeded') await payment.addRefunded(refund.amount);
      return { refund, settled };
    });
  }

  /**
   * Gives a stuck reservation back (`failed`), only if nothing touched the row for
   * `afterSeconds`: each Stripe attempt stamps the row first, and only while it is pending, so
   * a row released here is never asked of Stripe afterwards, and a row whose call is under way
   * is not released. The caller has made sure Stripe holds no refund for it.
   */
  async release(ref: RefundRef, afterSeconds: number): Promise<boolean> {
    const released = await this.payments.withRefundLock(
      ref.tenantId,
      ref.paymentId,
      async (_payment, manager) => {
        const [, affected]: [unknown, number] = await manager.query(
          `UPDATE refunds SET status = 'failed', updated_at = now()
         WHERE id = $1 AND status = 'pending' AND stripe_refund_id IS NULL
           AND updated_at < now() - make_interval(secs => $2)
           AND (stripe_first_attempt_at IS NULL OR stripe_first_attempt_at < now() - make_interval(secs => $2))`,
          [ref.id, afterSeconds],
        );
        return affected === 1;
      },
    );
    if (released) {
      this.logger.warn(
        { refundId: ref.id, paymentId: ref.paymentId, tenantId: ref.tenantId },
        'Released a stuck refund reservation',
      );
    }
    return released;
  }
}

export function refundStatusOf(refund: Stripe.Refund): RefundStatus {
  switch (refund.status) {
    case 'succeeded':
      return 'succeeded';
    case 'failed':
      return 'failed';
    case 'canceled':
      return 'canceled';
    default:
      // pending, requires_action: settled later by the charge.refund.updated webhook.
      return 'pending';
  }
}
