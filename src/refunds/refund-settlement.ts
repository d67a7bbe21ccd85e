import { Injectable, Logger } from '@nestjs/common';
import type Stripe from 'stripe';
import { PaymentsService } from '../payments';
import { Refund } from './entities/refund.entity';
import { RefundRepository } from './refund.repository';
import { RefundChange, stripeRefundState } from './refund-sync.plan';
import { RefundSync, StaleRefundView } from './refund-sync.service';

export type RefundRef = Pick<Refund, 'id' | 'tenantId' | 'paymentId'>;

export interface Settled {
  refund: Refund;
  /** False when someone else linked the row to its Stripe refund first. */
  settled: boolean;
}

/** Runs under the payment's row lock, so the request path and reconciliation link a row once. */
@Injectable()
export class RefundSettlement {
  private readonly logger = new Logger(RefundSettlement.name);

  constructor(
    private readonly payments: PaymentsService,
    private readonly refunds: RefundRepository,
    private readonly sync: RefundSync,
  ) {}

  /**
   * Links the row to its Stripe refund once, unless a newer report was applied first. If the other refunds no
   * longer fit beside it, the whole list is read instead.
   */
  async settle(ref: RefundRef, stripeRefund: Stripe.Refund): Promise<Settled> {
    // Stripe answered for this row, so it is ours even if the metadata does not name it.
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

  /** Releases a reservation untouched for `afterSeconds`; Stripe holds no refund for it. */
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
