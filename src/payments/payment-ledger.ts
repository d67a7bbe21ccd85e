import { Injectable } from '@nestjs/common';
import { InjectDataSource, InjectRepository } from '@nestjs/typeorm';
import { randomUUID } from 'node:crypto';
import type Stripe from 'stripe';
import { DataSource, EntityManager, Repository } from 'typeorm';
import { ensureSameRequest, IdempotentExecution } from '../idempotency';
import { PaymentFailure, StripeErrorCode } from '../stripe/stripe-error-code';
import { PaymentStatus, PaymentTransaction } from './entities/payment-transaction.entity';
import { PaymentErrorCode, PaymentException } from './payment-error-code';
import { canTransition, paymentStatusOf, refundedStatus } from './payment-status.util';

export type NewPayment = Pick<
  PaymentTransaction,
  | 'kind'
  | 'status'
  | 'amount'
  | 'currency'
  | 'paymentMethodId'
  | 'customerId'
  | 'description'
  | 'metadata'
  | 'relatedPaymentId'
>;

/**
 * `payment_transactions`, written by this class only: the row of each recovery point of a
 * payment, and its refunded amount under the row lock.
 */
@Injectable()
export class PaymentLedger {
  constructor(
    @InjectRepository(PaymentTransaction) private readonly payments: Repository<PaymentTransaction>,
    @InjectDataSource() private readonly dataSource: DataSource,
  ) {}

  /**
   * Recovery point 1: the row exists before Stripe is called. A re-execution (after a 5xx or
   * a crash) finds the row its first attempt wrote; a key whose idempotency record expired
   * and that comes back with another request is refused rather than mixed up with the old one.
   */
  async record(execution: IdempotentExecution, fields: NewPayment): Promise<PaymentTransaction> {
    await this.payments
      .createQueryBuilder()
      .insert()
      .values({
        id: randomUUID(),
        tenantId: execution.tenantId,
        userId: execution.userId,
        idempotencyKey: execution.key,
        requestHash: execution.requestHash,
        amountRefunded: 0,
        ...fields,
      })
      .orIgnore()
      .execute();
    const payment = await this.payments.findOneByOrFail({
      tenantId: execution.tenantId,
      userId: execution.userId,
      idempotencyKey: execution.key,
    });
    ensureSameRequest(execution, payment.requestHash, 'payment');
    return payment;
  }

  /** Stamps the first Stripe attempt (once) and answers its age in seconds, by the database clock. */
  async recordStripeAttempt(id: string): Promise<number> {
    const [rows]: [Array<{ age_seconds: number }>, number] = await this.dataSource.query(
      `UPDATE payment_transactions SET stripe_first_attempt_at = COALESCE(stripe_first_attempt_at, now())
       WHERE id = $1
       RETURNING extract(epoch FROM now() - stripe_first_attempt_at)::float8 AS age_seconds`,
      [id],
    );
    return rows[0]?.age_seconds ?? 0;
  }

  /**
   * Recovery point 3: the first answer Stripe gives is written once, only while the row has no
   * PaymentIntent yet; after that, status changes come from webhooks with their ordering rules.
   */
  async applyIntent(
    payment: PaymentTransaction,
    intent: Stripe.PaymentIntent,
    failure?: PaymentFailure,
  ): Promise<PaymentTransaction> {
    if (!payment.stripePaymentIntentId) {
      const status: PaymentStatus = failure ? 'failed' : paymentStatusOf(intent);
      await this.payments
        .createQueryBuilder()
        .update()
        .set({
          stripePaymentIntentId: intent.id,
          status,
          failureCode: failure?.code ?? null,
          declineCode: failure?.declineCode ?? null,
        })
        .where('id = :id AND stripe_payment_intent_id IS NULL', { id: payment.id })
        .execute();
    }
    return this.payments.findOneByOrFail({ id: payment.id });
  }

  /**
   * Moves a payment to the status of its PaymentIntent as Stripe reports it now, only along
   * allowed transitions and under the row lock, so a concurrent writer (a webhook) is never
   * undone. Answers whether the status changed.
   */
  async advanceToIntent(id: string, intent: Stripe.PaymentIntent): Promise<boolean> {
    return this.dataSource.transaction(async (manager) => {
      const payment = await manager
        .getRepository(PaymentTransaction)
        .createQueryBuilder('payment')
        .setLock('pessimistic_write')
        .where('payment.id = :id AND payment.stripePaymentIntentId = :intentId', { id, intentId: intent.id })
        .getOne();
      const status = paymentStatusOf(intent);
      if (!payment || !canTransition(payment.status, status)) return false;
      const declineCode = intent.last_payment_error?.decline_code ?? null;
      await manager
        .getRepository(PaymentTransaction)
        .update(
          { id },
          status === 'failed'
            ? { status, failureCode: StripeErrorCode.CARD_DECLINED, declineCode }
            : { status },
        );
      return true;
    });
  }

  /** A definite refusal that left no PaymentIntent at Stripe. */
  async markFailed(payment: PaymentTransaction, failure: PaymentFailure): Promise<PaymentTransaction> {
    await this.payments.update(
      { id: payment.id },
      { status: 'failed', failureCode: failure.code, declineCode: failure.declineCode },
    );
    return this.payments.findOneByOrFail({ id: payment.id });
  }

  async find(tenantId: string, id: string): Promise<PaymentTransaction> {
    const payment = await this.payments.findOneBy({ id, tenantId });
    // Another tenant's payment is indistinguishable from a missing one (SPEC §2).
    if (!payment) throw new PaymentException(PaymentErrorCode.PAYMENT_NOT_FOUND, 'Payment not found');
    return payment;
  }

  exists(tenantId: string, id: string): Promise<boolean> {
    return this.payments.existsBy({ id, tenantId });
  }

  /** The tenant's payment, locked (`FOR UPDATE`) until the transaction of `manager` ends. */
  async lock(manager: EntityManager, tenantId: string, id: string): Promise<PaymentTransaction> {
    const payment = await manager
      .getRepository(PaymentTransaction)
      .createQueryBuilder('payment')
      .setLock('pessimistic_write')
      .where('payment.id = :id AND payment.tenantId = :tenantId', { id, tenantId })
      .getOne();
    if (!payment) throw new PaymentException(PaymentErrorCode.PAYMENT_NOT_FOUND, 'Payment not found');
    return payment;
  }

  /** Adds a settled refund to a payment `lock` holds, moving its status along. */
  async addRefunded(manager: EntityManager, payment: PaymentTransaction, amount: number): Promise<void> {
    const amountRefunded = payment.amountRefunded + amount;
    await manager
      .getRepository(PaymentTransaction)
      .update({ id: payment.id }, { amountRefunded, status: refundedStatus(payment.amount, amountRefunded) });
  }

  /**
   * The payment a Stripe event names: by its PaymentIntent, or, while the row has no
   * PaymentIntent yet (the request that created it has not written it back), by the id our
   * request put in the PaymentIntent's metadata.
   */
  async findForEvent(paymentIntentId: string, paymentId: string | undefined): Promise<PaymentRef | null> {
    const byIntent = await this.payments.findOne({
      select: { id: true, tenantId: true },
      where: { stripePaymentIntentId: paymentIntentId },
    });
    if (byIntent) return { id: byIntent.id, tenantId: byIntent.tenantId };
    if (!paymentId || !UUID.test(paymentId)) return null;
    const byId = await this.payments
      .createQueryBuilder('payment')
      .select(['payment.id', 'payment.tenantId'])
      .where('payment.id = :paymentId AND payment.stripePaymentIntentId IS NULL', { paymentId })
      .getOne();
    return byId ? { id: byId.id, tenantId: byId.tenantId } : null;
  }

  /**
   * Moves a payment `lock` holds to `status` for an event (the caller checked the transition),
   * linking its PaymentIntent when the row has none yet.
   */
  async applyEventStatus(
    manager: EntityManager,
    payment: PaymentTransaction,
    status: PaymentStatus,
    paymentIntentId: string,
    declineCode: string | null,
  ): Promise<void> {
    await manager.getRepository(PaymentTransaction).update(
      { id: payment.id },
      {
        status,
        stripePaymentIntentId: payment.stripePaymentIntentId ?? paymentIntentId,
        ...(status === 'failed' ? { failureCode: StripeErrorCode.CARD_DECLINED, declineCode } : {}),
      },
    );
  }
}

/** A payment as an event names it: the tenant always comes from here, never from the event. */
export interface PaymentRef {
  id: string;
  tenantId: string;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
