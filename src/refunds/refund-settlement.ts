import { Injectable, Logger } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import type Stripe from 'stripe';
import { EntityManager, IsNull } from 'typeorm';
import { LockedPayment, PaymentsService } from '../payments/payments.service';
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

/**
 * Refund news from Stripe's webhooks, applied under the payment's row lock the caller holds
 * (inside its transaction, so the event is recorded with its effect or not at all).
 */
@Injectable()
export class RefundEventSettlement {
  private readonly logger = new Logger(RefundEventSettlement.name);

  /**
   * `charge.refund.updated`: settles our refund Stripe reports on (by its Stripe id, or our id in
   * its metadata), once: a refund's amount reaches the payment only on its move to `succeeded`.
   * Answers false when the refund is not one of ours (one made outside the API is counted from
   * `charge.refunded` instead).
   */
  async settleReported(
    manager: EntityManager,
    payment: LockedPayment,
    stripeRefund: Stripe.Refund,
  ): Promise<boolean> {
    const refunds = manager.getRepository(Refund);
    const ourId = stripeRefund.metadata?.ps_refund_id;
    const refund =
      (await refunds.findOneBy({ paymentId: payment.id, stripeRefundId: stripeRefund.id })) ??
      (ourId && UUID.test(ourId)
        ? await refunds.findOneBy({ paymentId: payment.id, id: ourId, stripeRefundId: IsNull() })
        : null);
    if (!refund) return false;
    const status = refundStatusOf(stripeRefund);
    if (refund.status === status && refund.stripeRefundId === stripeRefund.id) return true;
    // A settled refund stays settled: Stripe's news never takes money back from the payment.
    if (refund.status === 'succeeded') return true;
    await refunds.update({ id: refund.id }, { status, stripeRefundId: stripeRefund.id });
    if (status === 'succeeded') await payment.addRefunded(refund.amount);
    return true;
  }

  /**
   * `charge.refunded`: Stripe's total refunded for the charge, against what we know. What is
   * neither settled nor reserved by one of our refunds was refunded outside the API (the
   * dashboard): recorded as a refund with no user or key, it caps what the API may still refund.
   * Answers the amount recorded.
   */
  async recordOutsideRefunds(
    manager: EntityManager,
    payment: LockedPayment,
    chargeAmountRefunded: number,
  ): Promise<number> {
    const refunds = manager.getRepository(Refund);
    const pending = Number((await refunds.sum('amount', { paymentId: payment.id, status: 'pending' })) ?? 0);
    const outside = Math.min(
      chargeAmountRefunded - payment.amountRefunded - pending,
      payment.amount - payment.amountRefunded,
    );
    if (outside <= 0) return 0;
    await refunds.insert({
      id: randomUUID(),
      tenantId: payment.tenantId,
      userId: null,
      idempotencyKey: null,
      requestHash: null,
      paymentId: payment.id,
      amount: outside,
      currency: payment.currency,
      status: 'succeeded',
      reason: null,
      stripeRefundId: null,
    });
    await payment.addRefunded(outside);
    this.logger.log(
      { paymentId: payment.id, tenantId: payment.tenantId, amount: outside },
      'Recorded a refund made outside the API',
    );
    return outside;
  }
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

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
