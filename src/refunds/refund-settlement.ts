import { Injectable, Logger } from '@nestjs/common';
import type Stripe from 'stripe';
import { PaymentsService } from '../payments';
import { Refund } from './entities/refund.entity';
import { RefundRepository } from './refund.repository';
import { RefundChange, stripeRefundState } from './refund-sync.plan';
import { RefundSync, StaleRefundView } from './refund-sync.service';

/** What settling needs to know of a refund row: which payment's lock to take. */
export type RefundRef = Pick<Refund, 'id' | 'tenantId' | 'paymentId'>;

export interface Settled {
  refund: Refund;
  /** False when the row already had its Stripe refund: someone else settled it first. */
  settled: boolean;
}

/**
 * How an API refund's row learns its outcome, on the request path and in the reconciliation
 * job alike, under the payment's row lock, so whoever gets there first links it once.
 */
@Injectable()
export class RefundSettlement {
  private readonly logger = new Logger(RefundSettlement.name);

  constructor(
    private readonly payments: PaymentsService,
    private readonly refunds: RefundRepository,
    private readonly sync: RefundSync,
  ) {}

  /**
   * Records the Stripe refund that answered the row's request: links it (once) and takes its
   * status, unless a newer report of it was applied first. Should the payment's other refunds
   * no longer fit beside it (one failed at Stripe and we have not heard yet), the whole list is
   * read instead.
   */
  async settle(ref: RefundRef, stripeRefund: Stripe.Refund): Promise<Settled> {
    // Stripe answered for this row: its metadata names it, but a programmed answer may not.
    const answered = { ...stripeRefundState(stripeRefund), ourRefundId: ref.id };
    try {
      return await this.payments.withRefundLock(ref.tenantId, ref.paymentId, async (payment, manager) => {
        const { changes } = await this.sync.applyReported(manager, payment, [answered]);
        return { refund: await this.refunds.findById(ref.id, manager), settled: linksRow(changes, ref.id) };
      });
    } catch (error) {
      if (!(error instanceof StaleRefundView)) throw error;
      const synced = await this.sync.sync({ id: ref.paymentId, tenantId: ref.tenantId });
      return {
        refund: await this.refunds.findById(ref.id),
        settled: linksRow(synced?.changes ?? [], ref.id),
      };
    }
  }

  /**
   * Gives a stuck reservation back, only if nothing touched the row for `afterSeconds` (see
   * `RefundRepository.release`). The caller has made sure Stripe holds no refund for it.
   */
  async release(ref: RefundRef, afterSeconds: number): Promise<boolean> {
    const released = await this.payments.withRefundLock(ref.tenantId, ref.paymentId, (_payment, manager) =>
      this.refunds.release(manager, ref.id, afterSeconds),
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

export function linksRow(changes: RefundChange[], refundId: string): boolean {
  return changes.some((change) => change.kind === 'link' && change.refundId === refundId);
}
