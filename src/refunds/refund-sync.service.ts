import { Injectable, Logger } from '@nestjs/common';
import type Stripe from 'stripe';
import { EntityManager } from 'typeorm';
import { TransactionRunner } from '../database/transaction-runner';
import { LockedPayment, PaymentRef, PaymentsService, RefundNews } from '../payments';
import { StripeGateway } from '../stripe';
import { RefundRepository } from './refund.repository';
import { COUNTED_REFUND_STATUSES, refundStatusOf } from './refund-status';
import {
  planRefundSync,
  RefundChange,
  RefundSyncPlan,
  StripeRefundState,
  stripeRefundState,
} from './refund-sync.plan';

export interface RefundComparison {
  paymentId: string;
  tenantId: string;
  ours: number;
  /** Pending, requires_action and succeeded refunds at Stripe. */
  stripe: number;
  changes: RefundChange[];
}

export function isMismatch(comparison: RefundComparison): boolean {
  return comparison.changes.length > 0 || comparison.ours !== comparison.stripe;
}

/** More refunded than paid: some refunds failed at Stripe meanwhile, so the caller reads again. */
export class StaleRefundView extends Error {
  override readonly name = 'StaleRefundView';
}

/** Total attempts for a read that met a stale view. */
const READS = 3;

/**
 * Brings a payment's refunds in line with Stripe's refund list, read now: one row per Stripe refund at
 * Stripe's status, and `amountRefunded` the sum of those Stripe counts. Whatever signalled the change (any
 * refund webhook, in any order, or reconciliation), the list decides.
 */
@Injectable()
export class RefundSync {
  private readonly logger = new Logger(RefundSync.name);

  constructor(
    private readonly transactions: TransactionRunner,
    private readonly payments: PaymentsService,
    private readonly stripe: StripeGateway,
    private readonly refunds: RefundRepository,
  ) {}

  /**
   * Reads of one payment take turns, and one begun after `since` covers the news, so a burst of events costs
   * one read. Returns null when no read was needed.
   */
  async sync(
    payment: PaymentRef,
    options: { since?: Date; paymentIntentId?: string } = {},
  ): Promise<RefundComparison | null> {
    for (let read = 1; ; read += 1) {
      try {
        return await this.transactions.run(async (manager) => {
          const began = await this.payments.beginRefundRead(manager, payment.id, options.since);
          if (!began) return null;
          const paymentIntentId = began.paymentIntentId ?? options.paymentIntentId;
          const listed = paymentIntentId ? await this.listed(paymentIntentId) : [];
          return this.payments.withRefundLock(
            payment.tenantId,
            payment.id,
            async (locked, transaction) => {
              const news = { paid: listed.length > 0, paymentIntentId, readAt: began.readAt };
              return comparison(locked, listed, await this.applyReported(transaction, locked, listed, news));
            },
            manager,
          );
        });
      } catch (error) {
        if (!(error instanceof StaleRefundView) || read >= READS) throw error;
      }
    }
  }

  /** Our payments whose rows differ from Stripe's refunds created since `since`, one page at a time. */
  async *paymentsDifferingSince(since: Date): AsyncGenerator<PaymentRef[]> {
    for await (const page of this.stripe.refundsCreatedSince(since)) {
      const byIntent = new Map<string, Stripe.Refund[]>();
      for (const refund of page) {
        const intentId =
          typeof refund.payment_intent === 'string' ? refund.payment_intent : refund.payment_intent?.id;
        if (intentId) byIntent.set(intentId, [...(byIntent.get(intentId) ?? []), refund]);
      }
      const ours = await this.payments.findByIntents([...byIntent.keys()]);
      const statuses = await this.refunds.statusesByStripeId(page.map((refund) => refund.id));
      yield ours
        .filter((payment) =>
          (byIntent.get(payment.stripePaymentIntentId) ?? []).some(
            (refund) => statuses.get(refund.id) !== refundStatusOf(refund),
          ),
        )
        .map(({ id, tenantId }) => ({ id, tenantId }));
    }
  }

  async compare(ref: PaymentRef): Promise<RefundComparison> {
    const payment = await this.payments.getPayment(ref.tenantId, ref.id);
    const listed = payment.stripePaymentIntentId ? await this.listed(payment.stripePaymentIntentId) : [];
    const plan = planRefundSync(await this.refunds.knownRefunds(payment.id), listed);
    return comparison(payment, listed, plan);
  }

  /**
   * Applies a partial report under the caller's lock. Throws `StaleRefundView` when the result cannot be
   * Stripe's; the caller rolls back and syncs.
   */
  async applyReported(
    manager: EntityManager,
    payment: LockedPayment,
    reported: StripeRefundState[],
    news?: RefundNews,
  ): Promise<RefundSyncPlan> {
    const plan = planRefundSync(await this.refunds.knownRefunds(payment.id, manager), reported);
    if (plan.amountRefunded > payment.amount) {
      throw new StaleRefundView(
        `Refunds of payment ${payment.id} would count ${plan.amountRefunded} of ${payment.amount}`,
      );
    }
    for (const change of plan.changes) {
      await this.refunds.apply(manager, payment, change);
      this.logChange(payment, change);
    }
    await payment.applyRefunded(plan.amountRefunded, news);
    return plan;
  }

  private async listed(paymentIntentId: string): Promise<StripeRefundState[]> {
    return (await this.stripe.listRefunds(paymentIntentId)).map(stripeRefundState);
  }

  private logChange(payment: PaymentRef, change: RefundChange): void {
    const fields = {
      paymentId: payment.id,
      tenantId: payment.tenantId,
      stripeRefundId: change.stripe.id,
      amount: change.stripe.amount,
      status: change.stripe.status,
    };
    if (change.kind === 'record') this.logger.log(fields, 'Recorded a refund made outside the API');
    else
      this.logger.log({ ...fields, refundId: change.refundId, from: change.from }, 'Refund follows Stripe');
  }
}

function comparison(
  payment: PaymentRef & { amountRefunded: number },
  listed: StripeRefundState[],
  plan: RefundSyncPlan,
): RefundComparison {
  return {
    paymentId: payment.id,
    tenantId: payment.tenantId,
    ours: payment.amountRefunded,
    stripe: listed.reduce(
      (sum, refund) => sum + (COUNTED_REFUND_STATUSES.has(refund.status) ? refund.amount : 0),
      0,
    ),
    changes: plan.changes,
  };
}
