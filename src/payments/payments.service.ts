import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type Stripe from 'stripe';
import { DataSource, EntityManager } from 'typeorm';
import { CustomersService } from '../customers/customers.service';
import { IdempotentExecution, stripeIdempotencyKey } from '../idempotency';
import { StripeAttempts } from '../stripe/stripe-attempts';
import { StripeErrorCode, StripeException } from '../stripe/stripe-error-code';
import { failureException, failureOf } from '../stripe/stripe-error.translator';
import { CreatePaymentIntentInput, StripeGateway } from '../stripe/stripe.gateway';
import { ChargeFeeDto } from './dto/charge-fee.dto';
import { CreateIntentDto } from './dto/create-intent.dto';
import { ProcessPaymentDto } from './dto/process-payment.dto';
import { PaymentKind, PaymentStatus, PaymentTransaction } from './entities/payment-transaction.entity';
import {
  NewPayment,
  PaymentLedger,
  PaymentRef,
  RecordedPayment,
  RefundNews,
  StatusMove,
} from './payment-ledger';
import { PaymentErrorCode, PaymentException } from './payment-error-code';
import { REFUNDABLE_STATUSES, Transition, transitionOf } from './payment-status.util';

export interface CreatedIntent {
  payment: PaymentTransaction;
  clientSecret: string;
}

/** A payment the reconciliation job looks at. */
export interface UnsettledPayment {
  id: string;
  tenantId: string;
  stripePaymentIntentId: string;
}

/** A payment held under its row lock: what may be read of it. */
export interface PaymentUnderLock {
  readonly id: string;
  readonly tenantId: string;
  readonly status: PaymentStatus;
  readonly amount: number;
  readonly amountRefunded: number;
  readonly currency: string;
  readonly stripePaymentIntentId: string | null;
  /** Succeeded at some point (a fully refunded payment still did: asking it for more is "above what is left"). */
  readonly refundable: boolean;
}

/** A payment held under its row lock for its refunds: what they may read and the one write they may ask for. */
export interface LockedPayment extends PaymentUnderLock {
  /** Sets what Stripe counts as refunded of the payment, moving its status along (`PaymentLedger.applyRefunded`). */
  applyRefunded(amountRefunded: number, news?: RefundNews): Promise<void>;
}

/** A payment held under its row lock while a Stripe event is applied to it. */
export interface EventLockedPayment extends PaymentUnderLock {
  /** How the payment may move to `status` (the state machine), or undefined when it may not. */
  transitionTo(status: PaymentStatus): Transition | undefined;
  /** Moves the payment to `status` along an allowed transition; answers whether it moved. */
  moveTo(status: PaymentStatus, paymentIntentId: string, declineCode?: string | null): Promise<boolean>;
}

export type { PaymentRef, RefundNews, StatusMove };

/**
 * Payments, intents and fees, charged exactly once. Each execution follows the same recovery
 * points: (1) the row is written, keyed by the scoped idempotency key, before Stripe is called;
 * (2) Stripe is called with a key derived from the same scoped key; (3) the row is completed
 * with the PaymentIntent. A crash or lost answer anywhere leaves either nothing or a row the
 * retry completes, and Stripe replays the call instead of charging again.
 */
@Injectable()
export class PaymentsService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly ledger: PaymentLedger,
    private readonly stripe: StripeGateway,
    private readonly attempts: StripeAttempts,
    private readonly customers: CustomersService,
  ) {}

  async createIntent(execution: IdempotentExecution, dto: CreateIntentDto): Promise<CreatedIntent> {
    await this.ensureCustomerOwned(execution, dto.customerId);
    const recorded = await this.ledger.record(execution, {
      ...commonFields(dto, 'payment'),
      status: 'requires_payment_method',
      paymentMethodId: null,
      relatedPaymentId: null,
    });
    const payment = recorded.row;
    if (payment.status === 'failed' && !payment.stripePaymentIntentId) throw failureOfRow(payment);
    const intent = payment.stripePaymentIntentId
      ? await this.stripe.retrievePaymentIntent(payment.stripePaymentIntentId)
      : await this.obtainIntent(recorded, execution, { ...intentFields(payment), confirm: false });
    return {
      payment: await this.ledger.applyIntent(payment, intent),
      clientSecret: intent.client_secret ?? '',
    };
  }

  async processPayment(execution: IdempotentExecution, dto: ProcessPaymentDto): Promise<PaymentTransaction> {
    await this.ensureCustomerOwned(execution, dto.customerId);
    return this.charge(execution, {
      ...commonFields(dto, 'payment'),
      status: 'processing',
      paymentMethodId: dto.paymentMethodId,
      relatedPaymentId: null,
    });
  }

  async chargeFee(execution: IdempotentExecution, dto: ChargeFeeDto): Promise<PaymentTransaction> {
    if (dto.relatedPaymentId && !(await this.ledger.exists(execution.tenantId, dto.relatedPaymentId))) {
      throw new PaymentException(
        PaymentErrorCode.RELATED_PAYMENT_NOT_FOUND,
        'relatedPaymentId names no payment of yours',
        { field: 'relatedPaymentId' },
      );
    }
    return this.charge(execution, {
      ...commonFields({ ...dto, metadata: {} }, 'fee'),
      status: 'processing',
      paymentMethodId: dto.paymentMethodId,
      relatedPaymentId: dto.relatedPaymentId ?? null,
    });
  }

  getPayment(tenantId: string, id: string): Promise<PaymentTransaction> {
    return this.ledger.find(tenantId, id);
  }

  /**
   * Payments Stripe has not finished (`processing`, `requires_action`) whose row has not moved
   * for `afterSeconds`: no webhook settled them. In id order, after `cursor`.
   */
  async findUnsettled(
    afterSeconds: number,
    limit: number,
    cursor?: UnsettledPayment,
  ): Promise<UnsettledPayment[]> {
    const rows: Array<{ id: string; tenant_id: string; stripe_payment_intent_id: string }> =
      await this.dataSource.query(
        `SELECT id, tenant_id, stripe_payment_intent_id
         FROM payment_transactions
         WHERE status IN ('processing', 'requires_action') AND stripe_payment_intent_id IS NOT NULL
           AND updated_at < now() - make_interval(secs => $1)
           AND ($2::uuid IS NULL OR id > $2::uuid)
         ORDER BY id
         LIMIT $3`,
        [afterSeconds, cursor?.id ?? null, limit],
      );
    return rows.map((row) => ({
      id: row.id,
      tenantId: row.tenant_id,
      stripePaymentIntentId: row.stripe_payment_intent_id,
    }));
  }

  /**
   * Asks Stripe where an unsettled payment stands and moves it forward; answers the move, or null
   * when it stays. A dry run changes nothing.
   */
  async reconcile(payment: UnsettledPayment, dryRun = false): Promise<StatusMove | null> {
    const intent = await this.stripe.retrievePaymentIntent(payment.stripePaymentIntentId);
    return this.ledger.advanceToIntent(payment.id, intent, dryRun);
  }

  /**
   * Runs `work` in one transaction while the tenant's payment is locked (`SELECT … FOR
   * UPDATE`), so refunds of one payment are decided one at a time: in a transaction of its own,
   * or in the caller's (`manager`). `work` writes its own tables through `manager` and the
   * payment only through `LockedPayment.applyRefunded`.
   */
  withRefundLock<T>(
    tenantId: string,
    paymentId: string,
    work: (payment: LockedPayment, manager: EntityManager) => Promise<T>,
    manager?: EntityManager,
  ): Promise<T> {
    const locked = async (transaction: EntityManager) => {
      const row = await this.ledger.lock(transaction, tenantId, paymentId);
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
          await this.ledger.applyRefunded(transaction, row, amountRefunded, news);
        },
      };
      return work(payment, transaction);
    };
    return manager ? locked(manager) : this.dataSource.transaction(locked);
  }

  /**
   * Begins a read of the payment's refunds from Stripe in the caller's transaction (see
   * `PaymentLedger.beginRefundRead`); null when a read begun after `since` was applied already.
   */
  beginRefundRead(manager: EntityManager, paymentId: string, since?: Date) {
    return this.ledger.beginRefundRead(manager, paymentId, since);
  }

  /** Our payments among these PaymentIntents. */
  findByIntents(paymentIntentIds: string[]) {
    return this.ledger.findByIntents(paymentIntentIds);
  }

  /** The payment a Stripe event names, by PaymentIntent or (not yet linked) by our id in its metadata. */
  findForEvent(paymentIntentId: string, paymentId: string | undefined): Promise<PaymentRef | null> {
    return this.ledger.findForEvent(paymentIntentId, paymentId);
  }

  /**
   * Runs `work` in one transaction while the payment is locked (`SELECT … FOR UPDATE`), so the
   * events of one payment are applied one at a time. The tenant is the row's own. `work` writes
   * its own tables through `manager` and the payment only through the handle.
   */
  withEventLock<T>(
    ref: PaymentRef,
    work: (payment: EventLockedPayment, manager: EntityManager) => Promise<T>,
  ): Promise<T> {
    return this.dataSource.transaction(async (manager) => {
      const row = await this.ledger.lock(manager, ref.tenantId, ref.id);
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
          await this.ledger.applyEventStatus(manager, row, status, paymentIntentId, declineCode);
          row.status = status;
          row.stripePaymentIntentId ??= paymentIntentId;
          return true;
        },
      };
      return work(locked, manager);
    });
  }

  /**
   * All tenants share one Stripe account: a customer (and the payment methods saved on it) is
   * only usable by the tenant that created it here. Checked before anything is recorded or sent.
   */
  private async ensureCustomerOwned(
    execution: IdempotentExecution,
    customerId: string | undefined,
  ): Promise<void> {
    if (customerId !== undefined) await this.customers.ensureOwned(execution.tenantId, customerId);
  }

  private async charge(execution: IdempotentExecution, fields: NewPayment): Promise<PaymentTransaction> {
    const recorded = await this.ledger.record(execution, fields);
    const payment = recorded.row;
    if (payment.stripePaymentIntentId || payment.status === 'failed') {
      // Finished by an earlier execution of the same request: answer it again, charge nothing.
      if (payment.status === 'failed') throw failureOfRow(payment);
      return payment;
    }
    const intent = await this.obtainIntent(recorded, execution, {
      ...intentFields(payment),
      paymentMethodId: payment.paymentMethodId ?? undefined,
      confirm: true,
    });
    const charged = await this.ledger.applyIntent(payment, intent);
    if (charged.status === 'failed') throw failureOfRow(charged);
    return charged;
  }

  /**
   * Recovery point 2: asks Stripe for the row's PaymentIntent with the key derived from the
   * scoped key, so a re-execution gets Stripe's replay. An attempt begun longer ago than Stripe
   * keeps keys looks for the PaymentIntent first instead. A definite refusal is recorded on the
   * row (with Stripe's PaymentIntent when a declined card left one) and answered with the
   * payment's id. Anything else (Stripe unreachable) leaves the row for the retry to complete.
   */
  private async obtainIntent(
    recorded: RecordedPayment,
    execution: IdempotentExecution,
    input: CreatePaymentIntentInput,
  ): Promise<Stripe.PaymentIntent> {
    const payment = recorded.row;
    await execution.ensureHeld();
    let intent: Stripe.PaymentIntent;
    try {
      intent = await this.attempts.createOnce({
        recordAttempt: () => this.ledger.recordStripeAttempt(recorded),
        find: () => this.stripe.findPaymentIntentByMetadata('ps_payment_id', payment.id),
        create: () =>
          this.stripe.createPaymentIntent(input, stripeIdempotencyKey(execution, 'payment_intents.create')),
      });
    } catch (error) {
      const failure = error instanceof StripeException ? failureOf(error) : undefined;
      if (!failure) throw error;
      await execution.ensureHeld();
      const declined = (error as StripeException).paymentIntent;
      const failed = declined
        ? await this.ledger.applyIntent(payment, declined, failure)
        : await this.ledger.markFailed(payment, failure);
      throw failureOfRow(failed);
    }
    // Settling is left to whoever holds the key now: a retry that took it over gets the same
    // PaymentIntent from Stripe's replay.
    await execution.ensureHeld();
    return intent;
  }
}

/**
 * The error a failed payment answers with, the first time and on every re-execution. A row
 * failed by Stripe's own answer (a PaymentIntent returned with its payment error) was declined.
 */
function failureOfRow(payment: PaymentTransaction): StripeException {
  return failureException(
    { code: payment.failureCode ?? StripeErrorCode.CARD_DECLINED, declineCode: payment.declineCode },
    { paymentId: payment.id },
  );
}

function commonFields(dto: CreateIntentDto, kind: PaymentKind) {
  return {
    kind,
    amount: dto.amount,
    currency: dto.currency,
    customerId: dto.customerId ?? null,
    description: dto.description ?? null,
    metadata: dto.metadata ?? {},
  };
}

/** Our ids travel in Stripe's metadata so webhooks can be traced back; the tenant still comes from our row. */
function intentFields(payment: PaymentTransaction) {
  return {
    amount: payment.amount,
    currency: payment.currency,
    customerId: payment.customerId ?? undefined,
    description: payment.description ?? undefined,
    metadata: { ...payment.metadata, ps_payment_id: payment.id, ps_tenant_id: payment.tenantId },
  };
}
