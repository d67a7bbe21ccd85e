import { Injectable } from '@nestjs/common';
import type Stripe from 'stripe';
import { PaymentStatus } from '../payments/entities/payment-transaction.entity';
import { PaymentsService } from '../payments/payments.service';
import { RefundEventSettlement } from '../refunds/refund-settlement';
import { EventContext, PaymentEventSequenceService } from './payment-event-sequence.service';

/** How processing an event ended: applied (or already applied), or nothing of ours to apply it to. */
export type DispatchOutcome = 'processed' | 'ignored';

/** Worth another attempt: the event names something we will see later (e.g. a payment not yet committed). */
export class TransientEventError extends Error {
  override readonly name = 'TransientEventError';
}

const INTENT_STATUS: Partial<Record<Stripe.Event.Type, PaymentStatus>> = {
  'payment_intent.succeeded': 'succeeded',
  'payment_intent.payment_failed': 'failed',
  'payment_intent.canceled': 'canceled',
  'payment_intent.processing': 'processing',
  'payment_intent.requires_action': 'requires_action',
};

const INTENT_EVENTS = 'payment_intent.';

/**
 * Applies one Stripe event to our records. Every handler goes through `executeIdempotent`,
 * so an event is applied at most once per payment, under the payment's row lock; the payment
 * (and with it the tenant) is always our own row, found by the PaymentIntent.
 */
@Injectable()
export class StripeEventDispatcher {
  constructor(
    private readonly payments: PaymentsService,
    private readonly sequence: PaymentEventSequenceService,
    private readonly refunds: RefundEventSettlement,
  ) {}

  dispatch(event: Stripe.Event): Promise<DispatchOutcome> {
    const intentStatus = INTENT_STATUS[event.type];
    if (intentStatus)
      return this.onPaymentIntent(event, event.data.object as Stripe.PaymentIntent, intentStatus);
    if (event.type === 'charge.refunded') return this.onChargeRefunded(event, event.data.object);
    if (event.type === 'charge.refund.updated') return this.onRefundUpdated(event, event.data.object);
    return Promise.resolve('ignored');
  }

  /**
   * Stripe's news of the PaymentIntent, applied along the state machine and only when it is not
   * older than the news already applied: a late event from before a failure must not revive it,
   * and a late `processing` never undoes `succeeded`.
   */
  private async onPaymentIntent(
    event: Stripe.Event,
    intent: Stripe.PaymentIntent,
    status: PaymentStatus,
  ): Promise<DispatchOutcome> {
    const ourId = intent.metadata?.ps_payment_id;
    const payment = await this.payments.findForEvent(intent.id, ourId);
    if (!payment) {
      // Our own PaymentIntents carry our payment's id: its row may not be committed yet.
      if (ourId) throw new TransientEventError(`Payment ${ourId} for ${intent.id} is not visible yet`);
      return 'ignored';
    }
    await this.sequence.executeIdempotent(payment, event, async (context) => {
      const transition = context.payment.transitionTo(status);
      if (!transition) return false;
      const newest = await context.newestApplied(INTENT_EVENTS);
      const current =
        newest === null || event.created > newest || (event.created === newest && transition === 'forward');
      if (!current) return false;
      return context.payment.moveTo(status, intent.id, intent.last_payment_error?.decline_code ?? null);
    });
    return 'processed';
  }

  /** A refunded charge: counts refunds made outside the API (a refunded charge was paid, too). */
  private async onChargeRefunded(event: Stripe.Event, charge: Stripe.Charge): Promise<DispatchOutcome> {
    const payment = await this.findByIntent(charge.payment_intent);
    if (!payment) return 'ignored';
    await this.sequence.executeIdempotent(
      payment,
      event,
      async ({ payment: locked, manager }: EventContext) => {
        if (
          !locked.refundable &&
          !(await locked.moveTo('succeeded', intentIdOf(charge.payment_intent) ?? ''))
        ) {
          return 0;
        }
        return this.refunds.recordOutsideRefunds(manager, locked, charge.amount_refunded);
      },
    );
    return 'processed';
  }

  /** A refund's outcome, e.g. a `pending` refund settling: only refunds made through the API are ours to settle. */
  private async onRefundUpdated(event: Stripe.Event, refund: Stripe.Refund): Promise<DispatchOutcome> {
    const payment = await this.findByIntent(refund.payment_intent);
    if (!payment) return 'ignored';
    const applied = await this.sequence.executeIdempotent(payment, event, ({ payment: locked, manager }) =>
      this.refunds.settleReported(manager, locked, refund),
    );
    return applied.applied && !applied.result ? 'ignored' : 'processed';
  }

  private async findByIntent(intent: string | Stripe.PaymentIntent | null) {
    const id = intentIdOf(intent);
    return id ? this.payments.findForEvent(id, undefined) : null;
  }
}

function intentIdOf(intent: string | Stripe.PaymentIntent | null): string | undefined {
  if (!intent) return undefined;
  return typeof intent === 'string' ? intent : intent.id;
}
