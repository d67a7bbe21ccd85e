import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { randomUUID } from 'node:crypto';
import type Stripe from 'stripe';
import { DataSource, EntityManager, IsNull } from 'typeorm';
import { AppException } from '../common/errors/app.exception';
import { ensureSameRequest, IdempotentExecution, stripeIdempotencyKey } from '../idempotency';
import { LockedPayment, PaymentsService } from '../payments/payments.service';
import { StripeAttempts } from '../stripe/stripe-attempts';
import { StripeException } from '../stripe/stripe-error-code';
import { isDefinite } from '../stripe/stripe-error.translator';
import { StripeGateway } from '../stripe/stripe.gateway';
import { CreateRefundDto } from './dto/create-refund.dto';
import { Refund } from './entities/refund.entity';
import { RefundErrorCode, RefundException } from './refund-error-code';
import { RefundSettlement } from './refund-settlement';

/** A refund the reconciliation job looks at. */
export interface StuckRefund {
  id: string;
  tenantId: string;
  paymentId: string;
  /** Stripe was asked for it at least once. */
  attempted: boolean;
}

/** The row is no longer waiting for Stripe: settled or released since it was reserved. */
class NoLongerPending extends Error {}

/**
 * Refunds in three steps, after rocket-rides-atomic: (1) under the payment's row lock, check
 * what is left (settled and pending refunds both count) and reserve the amount as a `pending`
 * refund; (2) call Stripe outside any transaction, with a key derived from the scoped key;
 * (3) under the lock again, settle the refund and the payment's `amountRefunded`. Concurrent
 * refunds with different keys queue on the lock, so their total never exceeds the payment;
 * a failed Stripe call gives its reservation back.
 */
@Injectable()
export class RefundsService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly payments: PaymentsService,
    private readonly stripe: StripeGateway,
    private readonly attempts: StripeAttempts,
    private readonly settlement: RefundSettlement,
  ) {}

  async refund(execution: IdempotentExecution, dto: CreateRefundDto, resumes = 1): Promise<Refund> {
    const { refund, paymentIntentId } = await this.payments.withRefundLock(
      execution.tenantId,
      dto.paymentId,
      (payment, manager) => this.reserve(manager, payment, execution, dto),
    );
    if (refund.status !== 'pending' || refund.stripeRefundId) return refund;

    let stripeRefund: Stripe.Refund;
    try {
      stripeRefund = await this.obtainStripeRefund(refund, paymentIntentId, execution, dto);
    } catch (error) {
      if (!(error instanceof NoLongerPending)) throw error;
      // The reconciliation job settled or released the row between the reservation and the
      // Stripe call: decide again from the row (answer the settled refund, or reserve anew).
      if (resumes > 0) return this.refund(execution, dto, resumes - 1);
      throw new RefundException(
        RefundErrorCode.REFUND_IN_PROGRESS,
        'The refund is being settled; retry shortly',
        undefined,
        { 'Retry-After': '1' },
      );
    }
    return (await this.settlement.settle(refund, stripeRefund)).refund;
  }

  /**
   * Refunds left `pending` without a Stripe refund and untouched for `afterSeconds`: their
   * Stripe call's outcome was lost and nobody retried. In id order, after `cursor`.
   */
  async findStuck(afterSeconds: number, limit: number, cursor?: StuckRefund): Promise<StuckRefund[]> {
    const rows: Array<{ id: string; tenant_id: string; payment_id: string; attempted: boolean }> =
      await this.dataSource.query(
        `SELECT id, tenant_id, payment_id, stripe_first_attempt_at IS NOT NULL AS attempted
         FROM refunds
         WHERE status = 'pending' AND stripe_refund_id IS NULL
           AND updated_at < now() - make_interval(secs => $1)
           AND ($2::uuid IS NULL OR id > $2::uuid)
         ORDER BY id
         LIMIT $3`,
        [afterSeconds, cursor?.id ?? null, limit],
      );
    return rows.map((row) => ({
      id: row.id,
      tenantId: row.tenant_id,
      paymentId: row.payment_id,
      attempted: row.attempted,
    }));
  }

  /**
   * Settles a stuck refund by asking Stripe: found, it is settled as the request path would;
   * not found (or never asked), its reservation is given back, unless the row moved meanwhile.
   */
  async reconcile(stuck: StuckRefund, afterSeconds: number): Promise<'settled' | 'released' | 'unchanged'> {
    if (stuck.attempted) {
      const payment = await this.payments.getPayment(stuck.tenantId, stuck.paymentId);
      const paymentIntentId = requireIntent(payment);
      const found = await this.stripe.findRefundByMetadata(paymentIntentId, 'ps_refund_id', stuck.id);
      if (found) return (await this.settlement.settle(stuck, found)).settled ? 'settled' : 'unchanged';
    }
    return (await this.settlement.release(stuck, afterSeconds)) ? 'released' : 'unchanged';
  }

  /**
   * Asks Stripe for the refund with the key derived from the scoped key (a re-execution gets
   * Stripe's replay), or, for an attempt older than Stripe keeps keys, finds it first. Only a
   * definite rejection gives the reservation back; when the outcome is unknown (Stripe
   * unreachable, the answer lost) the amount stays reserved until the retry or the
   * charge.refund webhook settles it, so an unknown refund can never be spent twice.
   */
  private async obtainStripeRefund(
    refund: Refund,
    paymentIntentId: string,
    execution: IdempotentExecution,
    dto: CreateRefundDto,
  ): Promise<Stripe.Refund> {
    await execution.ensureHeld();
    let stripeRefund: Stripe.Refund;
    try {
      stripeRefund = await this.attempts.createOnce({
        recordAttempt: () => this.recordStripeAttempt(refund.id),
        find: () => this.stripe.findRefundByMetadata(paymentIntentId, 'ps_refund_id', refund.id),
        create: () =>
          this.stripe.createRefund(
            {
              paymentIntentId,
              amount: refund.amount,
              reason: dto.reason,
              metadata: {
                ps_refund_id: refund.id,
                ps_payment_id: refund.paymentId,
                ps_tenant_id: refund.tenantId,
              },
            },
            stripeIdempotencyKey(execution, 'refunds.create'),
          ),
      });
    } catch (error) {
      if (!(error instanceof StripeException) || !isDefinite(error)) throw error;
      await execution.ensureHeld();
      await this.dataSource
        .getRepository(Refund)
        .update({ id: refund.id, status: 'pending', stripeRefundId: IsNull() }, { status: 'failed' });
      throw exceedsPaymentIfStripeSaysSo(error);
    }
    // A retry that took the key over settles the refund from Stripe's replay instead.
    await execution.ensureHeld();
    return stripeRefund;
  }

  /**
   * Stamps the attempt (the first one's time once, and the row's `updated_at` every time) and
   * answers the first attempt's age in seconds, by the database clock. Only a row still waiting
   * for Stripe is stamped: a row the reconciliation job settled or released is not asked of
   * Stripe, and a freshly stamped row is not released by the job while its call is under way.
   */
  private async recordStripeAttempt(id: string): Promise<number> {
    const [rows]: [Array<{ age_seconds: number }>, number] = await this.dataSource.query(
      `UPDATE refunds SET stripe_first_attempt_at = COALESCE(stripe_first_attempt_at, now()), updated_at = now()
       WHERE id = $1 AND status = 'pending' AND stripe_refund_id IS NULL
       RETURNING extract(epoch FROM now() - stripe_first_attempt_at)::float8 AS age_seconds`,
      [id],
    );
    if (!rows[0]) throw new NoLongerPending();
    return rows[0].age_seconds;
  }

  private async reserve(
    manager: EntityManager,
    payment: LockedPayment,
    execution: IdempotentExecution,
    dto: CreateRefundDto,
  ): Promise<{ refund: Refund; paymentIntentId: string }> {
    const refunds = manager.getRepository(Refund);
    const earlier = await refunds.findOneBy({
      tenantId: execution.tenantId,
      userId: execution.userId,
      idempotencyKey: execution.key,
    });
    if (earlier) ensureSameRequest(execution, earlier.requestHash, 'refund');
    // A re-execution of the same request resumes its refund, unless its Stripe call failed and
    // gave the reservation back: then it reserves again, for the amount it asked Stripe for.
    if (earlier && (earlier.status !== 'failed' || earlier.stripeRefundId)) {
      return { refund: earlier, paymentIntentId: requireIntent(payment) };
    }
    if (!payment.refundable || !payment.stripePaymentIntentId) {
      throw new RefundException(
        RefundErrorCode.PAYMENT_NOT_REFUNDABLE,
        `A ${payment.status} payment cannot be refunded`,
        {
          paymentStatus: payment.status,
        },
      );
    }
    const pending = Number((await refunds.sum('amount', { paymentId: payment.id, status: 'pending' })) ?? 0);
    const unsettled = payment.amount - payment.amountRefunded;
    const remaining = unsettled - pending;
    const amount = earlier?.amount ?? dto.amount ?? remaining;
    if (amount < 1 || amount > remaining) {
      // Would fit once the refunds still pending settle one way or the other: a state that passes,
      // so it is a 409 the client may retry, never stored as a final answer for the key.
      if (pending > 0 && unsettled > 0 && (earlier?.amount ?? dto.amount ?? unsettled) <= unsettled) {
        throw new RefundException(
          RefundErrorCode.REFUND_IN_PROGRESS,
          'Another refund of this payment is still pending; retry once it has settled',
          { pending },
          { 'Retry-After': '5' },
        );
      }
      throw new RefundException(
        RefundErrorCode.REFUND_EXCEEDS_PAYMENT,
        `At most ${Math.max(remaining, 0)} can still be refunded`,
        { remaining: Math.max(remaining, 0), requested: amount },
      );
    }
    if (earlier) {
      await refunds.update({ id: earlier.id }, { status: 'pending' });
      return { refund: { ...earlier, status: 'pending' }, paymentIntentId: payment.stripePaymentIntentId };
    }
    const refund = await refunds.save(
      refunds.create({
        id: randomUUID(),
        tenantId: execution.tenantId,
        userId: execution.userId,
        idempotencyKey: execution.key,
        requestHash: execution.requestHash,
        paymentId: payment.id,
        amount,
        currency: payment.currency,
        status: 'pending',
        reason: dto.reason ?? null,
        stripeRefundId: null,
      }),
    );
    return { refund, paymentIntentId: payment.stripePaymentIntentId };
  }
}

function requireIntent(payment: Pick<LockedPayment, 'stripePaymentIntentId'>): string {
  if (!payment.stripePaymentIntentId) {
    throw new RefundException(RefundErrorCode.PAYMENT_NOT_REFUNDABLE, 'The payment has no PaymentIntent');
  }
  return payment.stripePaymentIntentId;
}

/** Stripe's own refusal to refund more than is left is our REFUND_EXCEEDS_PAYMENT. */
function exceedsPaymentIfStripeSaysSo(error: StripeException): AppException {
  const providerCode = error.details?.providerCode;
  if (providerCode === 'amount_too_large' || providerCode === 'charge_already_refunded') {
    return new RefundException(
      RefundErrorCode.REFUND_EXCEEDS_PAYMENT,
      'The payment provider holds less to refund',
      {
        providerCode,
      },
    );
  }
  return error;
}
