import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { Page } from '../common/pagination/keyset-cursor';
import { TransactionRunner } from '../database/transaction-runner';
import { StripeGateway } from '../stripe';
import { PaymentStatus, PaymentTransaction } from './entities/payment-transaction.entity';
import { PaymentRepository } from './payment.repository';
import { PaymentQuery, PaymentRef, RefundNews, StatusMove, UnsettledPayment } from './payment.types';
import {
  canTransition,
  paymentStatusOf,
  REFUNDABLE_STATUSES,
  Transition,
  transitionOf,
} from './payment-status.util';

export type { PaymentRef, RefundNews, StatusMove, UnsettledPayment };

/** A payment held under its row lock: what may be read of it. */
export interface PaymentUnderLock {
  readonly id: string;
  readonly tenantId: string;
  readonly status: PaymentStatus;
  readonly amount: number;
  readonly amountRefunded: number;
  readonly currency: string;
  readonly stripePaymentIntentId: string | null;
  /** Succeeded at some point: asking a fully refunded payment for more is "above what is left". */
  readonly refundable: boolean;
}

/** A payment locked for its refunds: what they may read, and the one write they may ask for. */
export interface LockedPayment extends PaymentUnderLock {
  applyRefunded(amountRefunded: number, news?: RefundNews): Promise<void>;
}

/** A payment locked while a Stripe event is applied to it. */
export interface EventLockedPayment extends PaymentUnderLock {
  transitionTo(status: PaymentStatus): Transition | undefined;
  moveTo(status: PaymentStatus, paymentIntentId: string, declineCode?: string | null): Promise<boolean>;
}

/** Payments as other modules use them. A lock hands out a narrow handle: the row is written here only. */
@Injectable()
export class PaymentsService {
  constructor(
    private readonly payments: PaymentRepository,
    private readonly transactions: TransactionRunner,
    private readonly stripe: StripeGateway,
  ) {}

  getPayment(tenantId: string, id: string): Promise<PaymentTransaction> {
    return this.payments.find(tenantId, id);
  }

  list(query: PaymentQuery): Promise<Page<PaymentTransaction>> {
    return this.payments.list(query);
  }

  /** Payments Stripe has not finished that no webhook settled for `afterSeconds`. */
  findUnsettled(afterSeconds: number, limit: number, cursor?: PaymentRef): Promise<UnsettledPayment[]> {
    return this.payments.findUnsettled(afterSeconds, limit, cursor);
  }

  /** Moves an unsettled payment to where Stripe says it stands; null when it stays. */
  async reconcile(payment: UnsettledPayment, dryRun = false): Promise<StatusMove | null> {
    const intent = await this.stripe.retrievePaymentIntent(payment.stripePaymentIntentId);
    const status = paymentStatusOf(intent);
    // Under the row lock and only along allowed transitions, so a concurrent webhook is never undone.
    return this.transactions.run(async (manager) => {
      const row = await this.payments.findLinked(manager, payment.id, intent.id, !dryRun);
      if (!row || !canTransition(row.status, status)) return null;
      const move = { from: row.status, to: status };
      if (dryRun) return move;
      const declineCode = intent.last_payment_error?.decline_code ?? null;
      await this.payments.moveStatus(manager, row, status, intent.id, declineCode);
      return move;
    });
  }

  /**
   * Runs `work` while the tenant's payment is locked (`FOR UPDATE`), in a transaction of its own
   * or the caller's (`manager`), so that refunds of one payment are decided one at a time.
   */
  withRefundLock<T>(
    tenantId: string,
    paymentId: string,
    work: (payment: LockedPayment, manager: EntityManager) => Promise<T>,
    manager?: EntityManager,
  ): Promise<T> {
    const locked = async (transaction: EntityManager) => {
      const row = await this.payments.lock(transaction, tenantId, paymentId);
      const payment: LockedPayment = {
        id: row.id,
        tenantId: row.tenantId,
        status: row.status,
        amount: row.amount,
        amountRefunded: row.amountRefunded,
        currency: row.currency,
        stripePaymentIntentId: row.stripePaymentIntentId,
        refundable: REFUNDABLE_STATUSES.has(row.status),
        applyRefunded: async (amountRefunded, news) => {
          await this.payments.applyRefunded(transaction, row, amountRefunded, news);
        },
      };
      return work(payment, transaction);
    };
    return manager ? locked(manager) : this.transactions.run(locked);
  }

  /** See `PaymentRepository.beginRefundRead`. */
  beginRefundRead(manager: EntityManager, paymentId: string, since?: Date) {
    return this.payments.beginRefundRead(manager, paymentId, since);
  }

  findByIntents(paymentIntentIds: string[]) {
    return this.payments.findByIntents(paymentIntentIds);
  }

  /** The payment a Stripe event names, by PaymentIntent or (not yet linked) by our id in its metadata. */
  findForEvent(paymentIntentId: string, paymentId: string | undefined): Promise<PaymentRef | null> {
    return this.payments.findForEvent(paymentIntentId, paymentId);
  }

  /** Runs `work` while the payment is locked, so that the events of one payment apply one at a time. */
  withEventLock<T>(
    ref: PaymentRef,
    work: (payment: EventLockedPayment, manager: EntityManager) => Promise<T>,
  ): Promise<T> {
    return this.transactions.run(async (manager) => {
      const row = await this.payments.lock(manager, ref.tenantId, ref.id);
      const locked: EventLockedPayment = {
        id: row.id,
        tenantId: row.tenantId,
        amount: row.amount,
        currency: row.currency,
        // Read through to the row: the handle reflects its own writes.
        get status() {
          return row.status;
        },
        amountRefunded: row.amountRefunded,
        get stripePaymentIntentId() {
          return row.stripePaymentIntentId;
        },
        get refundable() {
          return REFUNDABLE_STATUSES.has(row.status);
        },
        transitionTo: (status) => transitionOf(row.status, status),
        moveTo: async (status, paymentIntentId, declineCode = null) => {
          if (!transitionOf(row.status, status)) return false;
          await this.payments.moveStatus(manager, row, status, paymentIntentId, declineCode);
          row.status = status;
          row.stripePaymentIntentId ??= paymentIntentId;
          return true;
        },
      };
      return work(locked, manager);
    });
  }
}
