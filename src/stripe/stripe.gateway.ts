import { Inject, Injectable } from '@nestjs/common';
import Stripe from 'stripe';
import { translateStripeError } from './stripe-error.translator';
import { STRIPE_CLIENT } from './stripe.constants';

/** Far above any payment's refund count: a bound on one read, not a business rule. */
const MAX_REFUNDS_PER_PAYMENT = 10000;

export interface CreatePaymentIntentInput {
  amount: number;
  currency: string;
  confirm: boolean;
  paymentMethodId?: string;
  customerId?: string;
  description?: string;
  metadata: Record<string, string>;
}

export interface CreateRefundInput {
  paymentIntentId: string;
  amount: number;
  reason?: Stripe.RefundCreateParams.Reason;
  metadata: Record<string, string>;
}

export interface CreateCustomerInput {
  email?: string;
  name?: string;
  metadata: Record<string, string>;
}

/** Every SDK error becomes a StripeException. */
@Injectable()
export class StripeGateway {
  constructor(@Inject(STRIPE_CLIENT) private readonly stripe: Stripe) {}

  createPaymentIntent(
    input: CreatePaymentIntentInput,
    idempotencyKey: string,
  ): Promise<Stripe.PaymentIntent> {
    return this.call(() =>
      this.stripe.paymentIntents.create(
        {
          amount: input.amount,
          currency: input.currency,
          confirm: input.confirm,
          payment_method: input.paymentMethodId,
          customer: input.customerId,
          description: input.description,
          metadata: input.metadata,
          // Confirmed server-side, so redirect-based methods (which need a return_url) are off.
          automatic_payment_methods: { enabled: true, allow_redirects: 'never' },
        },
        { idempotencyKey },
      ),
    );
  }

  retrievePaymentIntent(id: string): Promise<Stripe.PaymentIntent> {
    return this.call(() => this.stripe.paymentIntents.retrieve(id));
  }

  /** Search lags about a minute; it is only used for attempts older than the idempotency window. */
  async findPaymentIntentByMetadata(key: string, value: string): Promise<Stripe.PaymentIntent | undefined> {
    const result = await this.call(() =>
      this.stripe.paymentIntents.search({ query: `metadata['${key}']:'${value}'`, limit: 1 }),
    );
    return result.data[0];
  }

  /** Uses a list, which is consistent, rather than search. */
  async findRefundByMetadata(
    paymentIntentId: string,
    key: string,
    value: string,
  ): Promise<Stripe.Refund | undefined> {
    return (await this.listRefunds(paymentIntentId)).find((refund) => refund.metadata?.[key] === value);
  }

  listRefunds(paymentIntentId: string): Promise<Stripe.Refund[]> {
    return this.call(() =>
      this.stripe.refunds
        .list({ payment_intent: paymentIntentId, limit: 100 })
        .autoPagingToArray({ limit: MAX_REFUNDS_PER_PAYMENT }),
    );
  }

  async *refundsCreatedSince(since: Date): AsyncGenerator<Stripe.Refund[]> {
    const created = { gte: Math.floor(since.getTime() / 1000) };
    for (let after: string | undefined; ;) {
      const page = await this.call(() =>
        this.stripe.refunds.list({ created, limit: 100, ...(after ? { starting_after: after } : {}) }),
      );
      if (page.data.length > 0) yield page.data;
      after = page.data.at(-1)?.id;
      if (!page.has_more || !after) return;
    }
  }

  createRefund(input: CreateRefundInput, idempotencyKey: string): Promise<Stripe.Refund> {
    return this.call(() =>
      this.stripe.refunds.create(
        {
          payment_intent: input.paymentIntentId,
          amount: input.amount,
          reason: input.reason,
          metadata: input.metadata,
        },
        { idempotencyKey },
      ),
    );
  }

  createCustomer(input: CreateCustomerInput, idempotencyKey: string): Promise<Stripe.Customer> {
    return this.call(() =>
      this.stripe.customers.create(
        { email: input.email, name: input.name, metadata: input.metadata },
        { idempotencyKey },
      ),
    );
  }

  /** Search, so eventually consistent (see `findPaymentIntentByMetadata`). */
  async findCustomerByMetadata(key: string, value: string): Promise<Stripe.Customer | undefined> {
    const result = await this.call(() =>
      this.stripe.customers.search({ query: `metadata['${key}']:'${value}'`, limit: 1 }),
    );
    return result.data[0];
  }

  private async call<T>(request: () => Promise<T>): Promise<T> {
    try {
      return await request();
    } catch (error) {
      throw translateStripeError(error) ?? error;
    }
  }
}
