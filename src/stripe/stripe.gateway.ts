import { Inject, Injectable } from '@nestjs/common';
import Stripe from 'stripe';
import { translateStripeError } from './stripe-error.translator';
import { STRIPE_CLIENT } from './stripe.constants';

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

/**
 * The service's only door to Stripe: typed calls through the official SDK, each with the
 * caller's deterministic idempotency key, and every SDK error translated to a StripeException.
 */
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
          // Confirmed server-side: no redirect-based methods, which would need a return_url.
          automatic_payment_methods: { enabled: true, allow_redirects: 'never' },
        },
        { idempotencyKey },
      ),
    );
  }

  retrievePaymentIntent(id: string): Promise<Stripe.PaymentIntent> {
    return this.call(() => this.stripe.paymentIntents.retrieve(id));
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

  private async call<T>(request: () => Promise<T>): Promise<T> {
    try {
      return await request();
    } catch (error) {
      throw translateStripeError(error) ?? error;
    }
  }
}
