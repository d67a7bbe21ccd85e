import { Injectable } from '@nestjs/common';
import type Stripe from 'stripe';
import { PaymentsService, PaymentStatus, paymentStatusOf } from '../payments';
import { RefundSync } from '../refunds';
import { StripeGateway } from '../stripe';
import { EventContext, PaymentEventSequenceService } from './payment-event-sequence.service';

export interface Dispatched {
  outcome: 'processed' | 'ignored';
  reason?: string;
}

export interface Received {
  receivedAt?: Date;
}

const INTENT_STATUS: Partial<Record<Stripe.Event.Type, PaymentStatus>> = {
  'payment_intent.succeeded': 'succeeded',
  'payment_intent.payment_failed': 'failed',
  'payment_intent.canceled': 'canceled',
  'payment_intent.processing': 'processing',
  'payment_intent.requires_action': 'requires_action',
};

const REFUND_EVENTS: ReadonlySet<string> = new Set<Stripe.Event.Type>([
  'charge.refunded',
  'charge.refund.updated',
  'refund.created',
  'refund.updated',
  'refund.failed',
]);

const INTENT_EVENTS = 'payment_intent.';

/** A PaymentIntent status from an event, or, when `current`, read from Stripe just now. */
interface IntentNews {
  status: PaymentStatus;
  declineCode: string | null;
  current: boolean;
}

/** Thrown when an event would take a failed payment back: only Stripe's current status may do that. */
class AskStripe extends Error {}

/**
 * Stripe neither orders nor deduplicates events, so an event is treated as a hint that an object changed.
 * Refund events trigger a read of the payment's refunds; PaymentIntent events follow the state machine, and
 * one that would take a payment back triggers a read of the PaymentIntent.
 */
@Injectable()
export class StripeEventDispatcher {
  constructor(
    private readonly payments: PaymentsService,
    private readonly sequence: PaymentEventSequenceService,
    private readonly refunds: RefundSync,
    private readonly stripe: StripeGateway,
  ) {}

  dispatch(event: Stripe.Event, received: Received = {}): Promise<Dispatched> {
    const object: unknown = (event.data as { object?: unknown } | undefined)?.object;
    // Ignored, not failed: a retry cannot give the event the object it lacks.
    if (typeof object !== 'object' || object === null || Array.isArray(object)) {
      return Promise.resolve({ outcome: 'ignored', reason: 'The event carries no data.object' });
    }
    const intentStatus = INTENT_STATUS[event.type];
    if (intentStatus) return this.onPaymentIntent(event, object as Stripe.PaymentIntent, intentStatus);
    if (REFUND_EVENTS.has(event.type)) {
      return this.onRefundNews(event, object as Stripe.Charge | Stripe.Refund, received);
    }
    return Promise.resolve({ outcome: 'ignored', reason: `Events of type ${event.type} are not handled` });
  }

  private async onPaymentIntent(
    event: Stripe.Event,
    intent: Stripe.PaymentIntent,
    status: PaymentStatus,
  ): Promise<Dispatched> {
    if (typeof intent.id !== 'string') return { outcome: 'ignored', reason: 'The PaymentIntent has no id' };
    // Our row is committed before Stripe is called, so a PaymentIntent without one is not ours.
    const payment = await this.payments.findForEvent(intent.id, intent.metadata?.ps_payment_id);
    if (!payment) return notOurs(intent.id);
    let news: IntentNews = {
      status,
      declineCode: intent.last_payment_error?.decline_code ?? null,
      current: false,
    };
    for (;;) {
      try {
        await this.sequence.executeIdempotent(payment, event, (context) =>
          applyIntentNews(context, event, intent.id, news),
        );
        return { outcome: 'processed' };
      } catch (error) {
        if (!(error instanceof AskStripe)) throw error;
        const now = await this.stripe.retrievePaymentIntent(intent.id);
        news = {
          status: paymentStatusOf(now),
          declineCode: now.last_payment_error?.decline_code ?? null,
          current: true,
        };
      }
    }
  }

  /**
   * Syncs the payment's refunds (unless a read begun after this event arrived was applied already), then
   * records the event. A failed read leaves the event unrecorded, so its retry reads again.
   */
  private async onRefundNews(
    event: Stripe.Event,
    object: Stripe.Charge | Stripe.Refund,
    received: Received,
  ): Promise<Dispatched> {
    const intentId = intentIdOf(object.payment_intent);
    if (!intentId) return { outcome: 'ignored', reason: 'The refund names no PaymentIntent' };
    const ourId = object.object === 'charge' ? object.metadata?.ps_payment_id : undefined;
    const payment = await this.payments.findForEvent(intentId, ourId);
    if (!payment) return notOurs(intentId);
    if (await this.sequence.isApplied(payment.id, event.id)) return { outcome: 'processed' };
    await this.refunds.sync(payment, { since: received.receivedAt, paymentIntentId: intentId });
    await this.sequence.executeIdempotent(payment, event, () => Promise.resolve(true));
    return { outcome: 'processed' };
  }
}

/**
 * An event older than the newest PaymentIntent event applied is skipped, so a late `processing` never undoes
 * `succeeded`. Taking a failed payment back (a retry with another card) is different: the failure may have
 * been written without any event, so Stripe's current status decides.
 */
async function applyIntentNews(
  context: EventContext,
  event: Stripe.Event,
  intentId: string,
  news: IntentNews,
): Promise<boolean> {
  const transition = context.payment.transitionTo(news.status);
  if (!transition) return false;
  if (!news.current) {
    if (transition === 'retry') throw new AskStripe();
    const newest = await context.newestApplied(INTENT_EVENTS);
    if (newest !== null && event.created < newest) return false;
  }
  return context.payment.moveTo(news.status, intentId, news.declineCode);
}

function notOurs(paymentIntentId: string): Dispatched {
  return { outcome: 'ignored', reason: `PaymentIntent ${paymentIntentId} is not one of ours` };
}

function intentIdOf(intent: string | Stripe.PaymentIntent | null | undefined): string | undefined {
  if (!intent) return undefined;
  return typeof intent === 'string' ? intent : intent.id;
}
