import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { randomUUID } from 'node:crypto';
import type Stripe from 'stripe';
import { EntityManager, Repository } from 'typeorm';
import { IdempotencyErrorCode, IdempotencyException } from '../idempotency/idempotency-error-code';
import { stripeIdempotencyKey } from '../idempotency/idempotency-scope';
import { IdempotentExecution } from '../idempotency/idempotent-request';
import { StripeAttempts } from '../stripe/stripe-attempts';
import { StripeErrorCode, StripeException } from '../stripe/stripe-error-code';
import { isDefinite } from '../stripe/stripe-error.translator';
import { CreatePaymentIntentInput, StripeGateway } from '../stripe/stripe.gateway';
import { ChargeFeeDto } from './dto/charge-fee.dto';
import { CreateIntentDto } from './dto/create-intent.dto';
import { ProcessPaymentDto } from './dto/process-payment.dto';
import { PaymentKind, PaymentStatus, PaymentTransaction } from './entities/payment-transaction.entity';
import { PaymentErrorCode, PaymentException } from './payment-error-code';
import { AppException } from '../common/errors/app.exception';
import { paymentStatusOf, refundedStatus } from './payment-status.util';

type NewPayment = Pick<
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

export interface CreatedIntent {
  payment: PaymentTransaction;
  clientSecret: string;
}

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
    @InjectRepository(PaymentTransaction) private readonly payments: Repository<PaymentTransaction>,
    private readonly stripe: StripeGateway,
    private readonly attempts: StripeAttempts,
  ) {}

  async createIntent(execution: IdempotentExecution, dto: CreateIntentDto): Promise<CreatedIntent> {
    const payment = await this.recordAttempt(execution, {
      ...this.commonFields(dto, 'payment'),
      status: 'requires_payment_method',
      paymentMethodId: null,
      relatedPaymentId: null,
    });
    if (payment.status === 'failed' && !payment.stripePaymentIntentId) throw this.failure(payment);
    const intent = payment.stripePaymentIntentId
      ? await this.stripe.retrievePaymentIntent(payment.stripePaymentIntentId)
      : await this.obtainIntent(payment, execution, { ...this.intentFields(payment), confirm: false });
    return { payment: await this.applyIntent(payment, intent), clientSecret: intent.client_secret ?? '' };
  }

  processPayment(execution: IdempotentExecution, dto: ProcessPaymentDto): Promise<PaymentTransaction> {
    return this.charge(execution, {
      ...this.commonFields(dto, 'payment'),
      status: 'processing',
      paymentMethodId: dto.paymentMethodId,
      relatedPaymentId: null,
    });
  }

  async chargeFee(execution: IdempotentExecution, dto: ChargeFeeDto): Promise<PaymentTransaction> {
    if (dto.relatedPaymentId) {
      const related = await this.payments.existsBy({
        id: dto.relatedPaymentId,
        tenantId: execution.tenantId,
      });
      if (!related) {
        throw new PaymentException(
          PaymentErrorCode.RELATED_PAYMENT_NOT_FOUND,
          'relatedPaymentId names no payment of yours',
          {
            field: 'relatedPaymentId',
          },
        );
      }
    }
    return this.charge(execution, {
      ...this.commonFields({ ...dto, metadata: {} }, 'fee'),
      status: 'processing',
      paymentMethodId: dto.paymentMethodId,
      relatedPaymentId: dto.relatedPaymentId ?? null,
    });
  }

  async getPayment(tenantId: string, id: string): Promise<PaymentTransaction> {
    const payment = await this.payments.findOneBy({ id, tenantId });
    // Another tenant's payment is indistinguishable from a missing one (SPEC §2).
    if (!payment) throw new PaymentException(PaymentErrorCode.PAYMENT_NOT_FOUND, 'Payment not found');
    return payment;
  }

  /** For refunds: the tenant's payment, locked until the caller's transaction ends. */
  async lockForRefund(manager: EntityManager, tenantId: string, id: string): Promise<PaymentTransaction> {
    const payment = await manager
      .getRepository(PaymentTransaction)
      .createQueryBuilder('payment')
      .setLock('pessimistic_write')
      .where('payment.id = :id AND payment.tenantId = :tenantId', { id, tenantId })
      .getOne();
    if (!payment) throw new PaymentException(PaymentErrorCode.PAYMENT_NOT_FOUND, 'Payment not found');
    return payment;
  }

  /** For refunds: adds a settled refund to a payment locked by `lockForRefund`. */
  async addRefunded(manager: EntityManager, payment: PaymentTransaction, amount: number): Promise<void> {
    const amountRefunded = payment.amountRefunded + amount;
    await manager
      .getRepository(PaymentTransaction)
      .update({ id: payment.id }, { amountRefunded, status: refundedStatus(payment.amount, amountRefunded) });
  }

  private async charge(execution: IdempotentExecution, fields: NewPayment): Promise<PaymentTransaction> {
    const payment = await this.recordAttempt(execution, fields);
    if (payment.stripePaymentIntentId || payment.status === 'failed') {
      // Finished by an earlier execution of the same request: answer it again, charge nothing.
      if (payment.status === 'failed') throw this.failure(payment);
      return payment;
    }
    const intent = await this.obtainIntent(payment, execution, {
      ...this.intentFields(payment),
      paymentMethodId: payment.paymentMethodId ?? undefined,
      confirm: true,
    });
    const charged = await this.applyIntent(payment, intent);
    if (charged.status === 'failed') throw this.failure(charged);
    return charged;
  }

  /**
   * Recovery point 2: asks Stripe for the row's PaymentIntent with the key derived from the
   * scoped key, so a re-execution gets Stripe's replay. An attempt begun longer ago than Stripe
   * keeps keys looks for the PaymentIntent first instead. A decline is recorded with its
   * PaymentIntent; a definite rejection marks the row failed; both answer with the payment id.
   * Anything else (Stripe unreachable) leaves the row for the retry to complete.
   */
  private async obtainIntent(
    payment: PaymentTransaction,
    execution: IdempotentExecution,
    input: CreatePaymentIntentInput,
  ): Promise<Stripe.PaymentIntent> {
    try {
      return await this.attempts.createOnce(PaymentTransaction, payment.id, {
        find: () => this.stripe.findPaymentIntentByMetadata('ps_payment_id', payment.id),
        create: () =>
          this.stripe.createPaymentIntent(input, stripeIdempotencyKey(execution, 'payment_intents.create')),
      });
    } catch (error) {
      if (!(error instanceof StripeException) || !isDefinite(error)) throw error;
      const failureCode = error.is(StripeErrorCode.CARD_DECLINED)
        ? declineCodeOf(error)
        : error.code.toLowerCase();
      const failed = error.paymentIntent
        ? await this.applyIntent(payment, error.paymentIntent, failureCode)
        : await this.markFailed(payment, failureCode);
      throw this.failure(failed);
    }
  }

  /**
   * Recovery point 1: the row exists before Stripe is called. A re-execution (after a 5xx or
   * a crash) finds the row its first attempt wrote; a key whose idempotency record expired
   * and that comes back with another request is refused rather than mixed up with the old one.
   */
  private async recordAttempt(
    execution: IdempotentExecution,
    fields: NewPayment,
  ): Promise<PaymentTransaction> {
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
    if (payment.requestHash !== execution.requestHash) {
      throw new IdempotencyException(
        IdempotencyErrorCode.KEY_MISMATCH,
        'This Idempotency-Key already created another payment; use a new key for a new request',
      );
    }
    return payment;
  }

  /**
   * Recovery point 3: the first answer Stripe gives is written once, only while the row has no
   * PaymentIntent yet; after that, status changes come from webhooks with their ordering rules.
   */
  private async applyIntent(
    payment: PaymentTransaction,
    intent: Stripe.PaymentIntent,
    failureCode?: string,
  ): Promise<PaymentTransaction> {
    if (!payment.stripePaymentIntentId) {
      const status: PaymentStatus = failureCode ? 'failed' : paymentStatusOf(intent);
      await this.payments
        .createQueryBuilder()
        .update()
        .set({ stripePaymentIntentId: intent.id, status, failureCode: failureCode ?? null })
        .where('id = :id AND stripe_payment_intent_id IS NULL', { id: payment.id })
        .execute();
    }
    return this.payments.findOneByOrFail({ id: payment.id });
  }

  private async markFailed(payment: PaymentTransaction, failureCode: string): Promise<PaymentTransaction> {
    await this.payments.update({ id: payment.id }, { status: 'failed', failureCode });
    return this.payments.findOneByOrFail({ id: payment.id });
  }

  /** The error a failed payment answers with, the first time and on every re-execution. */
  private failure(payment: PaymentTransaction): AppException {
    const details = { paymentId: payment.id };
    switch (payment.failureCode) {
      case StripeErrorCode.PAYMENT_METHOD_INVALID.toLowerCase():
        return new StripeException(
          StripeErrorCode.PAYMENT_METHOD_INVALID,
          'The payment method is not usable',
          undefined,
          {
            ...details,
            field: 'paymentMethodId',
          },
        );
      case StripeErrorCode.PAYMENT_PROVIDER_REJECTED.toLowerCase():
        return new StripeException(
          StripeErrorCode.PAYMENT_PROVIDER_REJECTED,
          'The payment provider rejected the request',
          undefined,
          details,
        );
      default:
        return new PaymentException(PaymentErrorCode.CARD_DECLINED, 'The card was declined', {
          ...details,
          declineCode: payment.failureCode ?? 'card_declined',
        });
    }
  }

  private commonFields(dto: CreateIntentDto, kind: PaymentKind) {
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
  private intentFields(payment: PaymentTransaction) {
    return {
      amount: payment.amount,
      currency: payment.currency,
      customerId: payment.customerId ?? undefined,
      description: payment.description ?? undefined,
      metadata: { ...payment.metadata, ps_payment_id: payment.id, ps_tenant_id: payment.tenantId },
    };
  }
}

function declineCodeOf(error: StripeException): string {
  const code = error.details?.declineCode;
  return typeof code === 'string' ? code : 'card_declined';
}
