import { Injectable } from '@nestjs/common';
import type Stripe from 'stripe';
import { EntityManager } from 'typeorm';
import { AppException } from '../common/errors/app.exception';
import { requestCause, withEventCause } from '../events';
import { ensureSameRequest, IdempotentExecution, stripeIdempotencyKey } from '../idempotency';
import { LockedPayment, PaymentsService } from '../payments';
import { isDefinite, StripeAttempts, StripeException, StripeGateway } from '../stripe';
import { CreateRefundDto } from './dto/create-refund.dto';
import { Refund } from './entities/refund.entity';
import { RefundErrorCode, RefundException } from './refund.exception';
import { RefundRepository, StuckRefund } from './refund.repository';
import { linksRow, RefundSettlement } from './refund-settlement';
import { RefundComparison, RefundSync } from './refund-sync.service';

export type { StuckRefund };

export interface StuckRefundOutcome {
  outcome: 'settled' | 'released' | 'unchanged';
  comparison?: RefundComparison;
}

/** Settled or released since it was reserved. */
class NoLongerPending extends Error {}

/**
 * In three steps, after rocket-rides-atomic: reserve the amount under the payment's row lock, call Stripe
 * outside any transaction, then settle under the lock. Concurrent refunds queue on the lock, so their total
 * never exceeds the payment.
 */
@Injectable()
export class RefundsService {
  constructor(
    private readonly payments: PaymentsService,
    private readonly stripe: StripeGateway,
    private readonly attempts: StripeAttempts,
    private readonly settlement: RefundSettlement,
    private readonly sync: RefundSync,
    private readonly refunds: RefundRepository,
  ) {}

  refund(execution: IdempotentExecution, dto: CreateRefundDto): Promise<Refund> {
    return withEventCause(requestCause(execution.key), () => this.refundNow(execution, dto));
  }

  private async refundNow(
    execution: IdempotentExecution,
    dto: CreateRefundDto,
    resumes = 1,
  ): Promise<Refund> {
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
      // Reconciliation settled or released the row between the reservation and the Stripe call: decide again
      // from the row.
      if (resumes > 0) return this.refundNow(execution, dto, resumes - 1);
      throw new RefundException(
        RefundErrorCode.REFUND_IN_PROGRESS,
        'The refund is being settled; retry shortly',
        undefined,
        { 'Retry-After': '1' },
      );
    }
    return (await this.settlement.settle(refund, stripeRefund)).refund;
  }

  async getRefund(tenantId: string, id: string): Promise<Refund> {
    const refund = await this.refunds.findOwn(tenantId, id);
    if (!refund) throw new RefundException(RefundErrorCode.REFUND_NOT_FOUND, 'Refund not found');
    return refund;
  }

  async listForPayment(tenantId: string, paymentId: string): Promise<Refund[]> {
    const payment = await this.payments.getPayment(tenantId, paymentId);
    return this.refunds.listForPayment(payment.id);
  }

  findStuck(afterSeconds: number, limit: number, cursor?: StuckRefund): Promise<StuckRefund[]> {
    return this.refunds.findStuck(afterSeconds, limit, cursor);
  }

  /**
   * Asks Stripe for the payment's refunds: links the refund if Stripe has it (with anything else Stripe
   * holds), otherwise releases the reservation unless the row moved meanwhile.
   */
  async reconcile(stuck: StuckRefund, afterSeconds: number, dryRun = false): Promise<StuckRefundOutcome> {
    const payment = { id: stuck.paymentId, tenantId: stuck.tenantId };
    let comparison: RefundComparison | undefined;
    if (stuck.attempted) {
      comparison = (dryRun ? await this.sync.compare(payment) : await this.sync.sync(payment)) ?? undefined;
      if (comparison && linksRow(comparison.changes, stuck.id)) return { outcome: 'settled', comparison };
    }
    if (dryRun) return { outcome: 'released', comparison };
    const released = await this.settlement.release(stuck, afterSeconds);
    return { outcome: released ? 'released' : 'unchanged', comparison };
  }

  /**
   * Uses a key derived from the scoped key, so a re-execution gets Stripe's replay. Only a definite rejection
   * releases the reservation; when the outcome is unknown (Stripe unreachable, the answer lost) the amount
   * stays reserved until a retry or the webhook settles it, so an unknown refund is never spent twice.
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
      const providerCode = error.details?.providerCode;
      await this.payments.withRefundLock(refund.tenantId, refund.paymentId, (_payment, manager) =>
        this.refunds.markRefused(
          manager,
          refund.id,
          typeof providerCode === 'string' ? providerCode : 'provider_rejected',
        ),
      );
      throw exceedsPaymentIfStripeSaysSo(error);
    }
    // A retry that took the key over settles the refund from Stripe's replay.
    await execution.ensureHeld();
    return stripeRefund;
  }

  private async recordStripeAttempt(id: string): Promise<number> {
    const age = await this.refunds.recordStripeAttempt(id);
    if (age === null) throw new NoLongerPending();
    return age;
  }

  /**
   * What is left is the amount less what Stripe counts as refunded and what unknown outcomes hold. A request
   * that would fit once in-flight refunds fail gets a retryable 409.
   */
  private async reserve(
    manager: EntityManager,
    payment: LockedPayment,
    execution: IdempotentExecution,
    dto: CreateRefundDto,
  ): Promise<{ refund: Refund; paymentIntentId: string }> {
    const earlier = await this.refunds.findForRequest(manager, execution);
    if (earlier) ensureSameRequest(execution, earlier.requestHash ?? '', 'refund');
    // A re-execution resumes its refund, or reserves again if the Stripe call failed and released it.
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
    const { reserved, unsettled } = await this.refunds.holds(manager, payment.id);
    const remaining = payment.amount - payment.amountRefunded - reserved;
    const inFlight = reserved + unsettled;
    const requested = earlier?.amount ?? dto.amount;
    const amount = requested ?? remaining;
    if (amount < 1 || amount > remaining) {
      // A passing state: a 409 the client may retry, never stored as the key's final answer.
      const leftIfTheyFail = remaining + inFlight;
      if (inFlight > 0 && leftIfTheyFail > 0 && (requested ?? leftIfTheyFail) <= leftIfTheyFail) {
        throw new RefundException(
          RefundErrorCode.REFUND_IN_PROGRESS,
          'Another refund of this payment is still pending; retry once it has settled',
          { pending: inFlight },
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
      return {
        refund: await this.refunds.reserveAgain(manager, earlier),
        paymentIntentId: payment.stripePaymentIntentId,
      };
    }
    const refund = await this.refunds.insertReservation(manager, execution, payment, {
      amount,
      reason: dto.reason ?? null,
    });
    return { refund, paymentIntentId: payment.stripePaymentIntentId };
  }
}

function requireIntent(payment: Pick<LockedPayment, 'stripePaymentIntentId'>): string {
  if (!payment.stripePaymentIntentId) {
    throw new RefundException(RefundErrorCode.PAYMENT_NOT_REFUNDABLE, 'The payment has no PaymentIntent');
  }
  return payment.stripePaymentIntentId;
}

/** Stripe's own refusal to refund more than is left maps to REFUND_EXCEEDS_PAYMENT. */
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
