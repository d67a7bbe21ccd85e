import { Injectable } from '@nestjs/common';
import type Stripe from 'stripe';
import { CustomersService } from '../customers';
import { requestCause, withEventCause } from '../events';
import { IdempotentExecution, stripeIdempotencyKey } from '../idempotency';
import {
  CreatePaymentIntentInput,
  failureException,
  failureOf,
  StripeAttempts,
  StripeErrorCode,
  StripeException,
  StripeGateway,
} from '../stripe';
import { ChargeFeeDto } from './dto/charge-fee.dto';
import { CreateIntentDto } from './dto/create-intent.dto';
import { ProcessPaymentDto } from './dto/process-payment.dto';
import { PaymentKind, PaymentTransaction } from './entities/payment-transaction.entity';
import { PaymentErrorCode, PaymentException } from './payment.exception';
import { PaymentRepository } from './payment.repository';
import { NewPayment, RecordedPayment } from './payment.types';

export interface CreatedIntent {
  payment: PaymentTransaction;
  clientSecret: string;
}

/**
 * Payments, intents and fees, charged exactly once through three recovery points: (1) the row,
 * keyed by the scoped idempotency key, before Stripe is called; (2) Stripe, with a key derived
 * from it; (3) the row completed with the PaymentIntent. A crash anywhere leaves nothing or a
 * row the retry completes, and Stripe replays its answer instead of charging again.
 */
@Injectable()
export class PaymentCreationService {
  constructor(
    private readonly payments: PaymentRepository,
    private readonly stripe: StripeGateway,
    private readonly attempts: StripeAttempts,
    private readonly customers: CustomersService,
  ) {}

  createIntent(execution: IdempotentExecution, dto: CreateIntentDto): Promise<CreatedIntent> {
    return withEventCause(requestCause(execution.key), () => this.createIntentNow(execution, dto));
  }

  private async createIntentNow(
    execution: IdempotentExecution,
    dto: CreateIntentDto,
  ): Promise<CreatedIntent> {
    await this.ensureCustomerOwned(execution, dto.customerId);
    const recorded = await this.payments.record(execution, {
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
      payment: await this.payments.applyIntent(payment, intent),
      clientSecret: intent.client_secret ?? '',
    };
  }

  processPayment(execution: IdempotentExecution, dto: ProcessPaymentDto): Promise<PaymentTransaction> {
    return withEventCause(requestCause(execution.key), () => this.processPaymentNow(execution, dto));
  }

  private async processPaymentNow(
    execution: IdempotentExecution,
    dto: ProcessPaymentDto,
  ): Promise<PaymentTransaction> {
    await this.ensureCustomerOwned(execution, dto.customerId);
    return this.charge(execution, {
      ...commonFields(dto, 'payment'),
      status: 'processing',
      paymentMethodId: dto.paymentMethodId,
      relatedPaymentId: null,
    });
  }

  chargeFee(execution: IdempotentExecution, dto: ChargeFeeDto): Promise<PaymentTransaction> {
    return withEventCause(requestCause(execution.key), () => this.chargeFeeNow(execution, dto));
  }

  private async chargeFeeNow(execution: IdempotentExecution, dto: ChargeFeeDto): Promise<PaymentTransaction> {
    if (dto.relatedPaymentId && !(await this.payments.exists(execution.tenantId, dto.relatedPaymentId))) {
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

  /** All tenants share one Stripe account: a customer is only usable by the tenant that created it. */
  private async ensureCustomerOwned(
    execution: IdempotentExecution,
    customerId: string | undefined,
  ): Promise<void> {
    if (customerId !== undefined) await this.customers.ensureOwned(execution.tenantId, customerId);
  }

  private async charge(execution: IdempotentExecution, fields: NewPayment): Promise<PaymentTransaction> {
    const recorded = await this.payments.record(execution, fields);
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
    const charged = await this.payments.applyIntent(payment, intent);
    if (charged.status === 'failed') throw failureOfRow(charged);
    return charged;
  }

  /**
   * Recovery point 2. A definite refusal is recorded on the row (with the PaymentIntent a
   * declined card left, if any); anything else (Stripe unreachable) leaves the row for the retry.
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
        recordAttempt: () => this.payments.recordStripeAttempt(recorded),
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
        ? await this.payments.applyIntent(payment, declined, failure)
        : await this.payments.markFailed(payment, failure);
      throw failureOfRow(failed);
    }
    // A retry that took the key over meanwhile settles instead, with this PaymentIntent replayed.
    await execution.ensureHeld();
    return intent;
  }
}

/** The same error on every execution; a row that failed along with a PaymentIntent was declined. */
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
