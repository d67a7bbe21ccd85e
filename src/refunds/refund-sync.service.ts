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

/** A payment's refunds, ours against Stripe's. */
export interface RefundComparison {
  paymentId: string;
  tenantId: string;
  /** The payment's `amountRefunded` as the ledger had it. */
  ours: number;
  /** What Stripe counts as refunded of it (its pending, requires_action and succeeded refunds). */
  stripe: number;
  /** What it takes (or took) for our refunds to agree with Stripe's. */
  changes: RefundChange[];
}

export function isMismatch(comparison: RefundComparison): boolean {
  return comparison.changes.length > 0 || comparison.ours !== comparison.stripe;
}

/**
 * The refunds we know count more than the payment: some of them have failed at Stripe since we
 * heard of them. Raised inside the transaction, so nothing is written; the caller reads again.
 */
export class StaleRefundView extends Error {
  override readonly name = 'StaleRefundView';
}

/** A read that met a stale view is tried again at once, this many times in all. */
const READS = 3;

/**
 * Brings a payment's refunds to Stripe's: one row per Stripe refund (ours linked by their
 * metadata, others recorded as made outside the API), each at Stripe's status, and the
 * payment's `amountRefunded` the sum of those Stripe counts. Whatever told us something changed
 * (a webhook of any refund type, in any order, a reconciliation run), the answer is Stripe's
 * refund list, read now.
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
   * Reads the payment's refunds from Stripe and applies them. Reads of one payment take turns,
   * and one that began after `since` (when the news arrived) covers it: a burst of events for a
   * payment costs one read, and a late or repeated event none. Answers what changed, or null
   * when no read was needed. `paymentIntentId` names the PaymentIntent of a row not linked yet.
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

  /**
   * Our payments whose refunds at Stripe differ from our rows, among the account's refunds
   * created since `since`: a page of Stripe's list at a time, one read of ours per page.
   */
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

  /** What `sync` would change, changing nothing (a dry run of reconciliation). */
  async compare(ref: PaymentRef): Promise<RefundComparison> {
    const payment = await this.payments.getPayment(ref.tenantId, ref.id);
    const listed = payment.stripePaymentIntentId ? await this.listed(payment.stripePaymentIntentId) : [];
    const plan = planRefundSync(await this.refunds.knownRefunds(payment.id), listed);
    return comparison(payment, listed, plan);
  }

  /**
   * Applies what Stripe reported of some of the payment's refunds (the answer to a request, say)
   * under the lock the caller holds, as `sync` applies a whole list. Throws `StaleRefundView`
   * when the result cannot be Stripe's (more refunded than paid): the caller rolls back and
   * syncs instead.
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
