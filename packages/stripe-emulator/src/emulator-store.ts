import {
  StripeApiError,
  cardDeclined,
  invalidRequest,
  parameterMissing,
  paymentMethodAlreadyAttached,
  paymentMethodNeedsCustomer,
  paymentMethodOfAnotherCustomer,
  resourceMissing,
  unexpectedState,
} from './stripe-api-error';
import { newId, randomToken, unixNow } from './ids';
import { testCard, type CardBehavior } from './test-payment-methods';
import type {
  CaptureMethod,
  Charge,
  Customer,
  EventObject,
  EventType,
  LastPaymentError,
  Metadata,
  PaymentIntent,
  PaymentIntentStatus,
  PaymentMethod,
  Refund,
  RefundFailureReason,
  RefundInitialStatus,
  RefundReason,
  RefundStatus,
  SettleOutcome,
  StripeEvent,
} from './stripe-emulator.types';

export interface CreatePaymentIntentInput {
  amount: number;
  currency: string;
  paymentMethod: string | null;
  confirm: boolean;
  customer: string | null;
  description: string | null;
  metadata: Metadata;
  automaticPaymentMethods: boolean | null;
  captureMethod: CaptureMethod;
}

export interface CreateCustomerInput {
  email: string | null;
  name: string | null;
  description: string | null;
  metadata: Metadata;
}

export interface CreateRefundInput {
  paymentIntent: string | null;
  charge: string | null;
  amount: number | null;
  reason: RefundReason | null;
  metadata: Metadata;
  /** Overrides the standing initial status for this refund. */
  status?: RefundInitialStatus;
}

export interface StoreCounters {
  paymentIntentsCreated: number;
  refundsCreated: number;
  eventsCreated: number;
  customersCreated: number;
  paymentMethodsAttached: number;
}

/** A PaymentMethod attached to a Customer: a copy of a test card, charging as that card does. */
interface SavedPaymentMethod {
  paymentMethod: PaymentMethod;
  behavior: CardBehavior;
}

function emptyCounters(): StoreCounters {
  return {
    paymentIntentsCreated: 0,
    refundsCreated: 0,
    eventsCreated: 0,
    customersCreated: 0,
    paymentMethodsAttached: 0,
  };
}

const CANCELABLE: ReadonlySet<PaymentIntentStatus> = new Set<PaymentIntentStatus>([
  'requires_payment_method',
  'requires_confirmation',
  'requires_action',
  'requires_capture',
]);

const CONFIRMABLE: ReadonlySet<PaymentIntentStatus> = new Set<PaymentIntentStatus>([
  'requires_payment_method',
  'requires_confirmation',
  'requires_action',
]);

/** The moves a bank makes on a refund; `succeeded` → `failed` is a card refund bouncing days later. */
const REFUND_MOVES: Readonly<Record<RefundStatus, readonly RefundStatus[]>> = {
  requires_action: ['pending', 'succeeded', 'failed', 'canceled'],
  pending: ['succeeded', 'failed', 'canceled'],
  succeeded: ['failed'],
  failed: [],
  canceled: [],
};

/** What Stripe counts in a charge's `amount_refunded`: refunds not (yet) failed or canceled. */
const COUNTED_REFUND_STATUSES: ReadonlySet<RefundStatus> = new Set<RefundStatus>([
  'pending',
  'requires_action',
  'succeeded',
]);

function snapshot<T>(value: T): T {
  return structuredClone(value);
}

/** Object.assign, but the changes are checked against the target's type. */
function patch<T extends object>(target: T, changes: Partial<T>): void {
  Object.assign(target, changes);
}

/** The object with this id, or Stripe's 404 naming its kind. */
function found<T>(objects: ReadonlyMap<string, T>, kind: string, id: string): T {
  const object = objects.get(id);
  if (object === undefined) throw resourceMissing(kind, id);
  return object;
}

function paymentMethodRef(id: string): LastPaymentError['payment_method'] {
  return { id, object: 'payment_method', type: 'card' };
}

/**
 * The emulated Stripe account: PaymentIntents, charges, refunds and the events their state changes
 * produce. Every operation is synchronous, so each one is atomic with respect to concurrent requests.
 * Returned objects are copies; callers never hold a live reference into the store.
 */
export class EmulatorStore {
  private readonly customers = new Map<string, Customer>();
  private readonly paymentMethods = new Map<string, SavedPaymentMethod>();
  private readonly paymentIntents = new Map<string, PaymentIntent>();
  private readonly charges = new Map<string, Charge>();
  private readonly refunds = new Map<string, Refund>();
  private readonly events = new Map<string, StripeEvent>();
  private outbox: string[] = [];
  private counters = emptyCounters();
  private refundInitialStatus: RefundInitialStatus = 'succeeded';

  constructor(private readonly apiVersion: string) {}

  reset(): void {
    this.customers.clear();
    this.paymentMethods.clear();
    this.paymentIntents.clear();
    this.charges.clear();
    this.refunds.clear();
    this.events.clear();
    this.outbox = [];
    this.counters = emptyCounters();
    this.refundInitialStatus = 'succeeded';
  }

  // ---- Customers and saved PaymentMethods ----------------------------------------------------

  createCustomer(input: CreateCustomerInput): Customer {
    const customer: Customer = {
      id: newId('cus'),
      object: 'customer',
      created: unixNow(),
      description: input.description,
      email: input.email,
      invoice_settings: { default_payment_method: null },
      livemode: false,
      metadata: input.metadata,
      name: input.name,
    };
    this.customers.set(customer.id, customer);
    this.counters.customersCreated += 1;
    return snapshot(customer);
  }

  retrieveCustomer(id: string): Customer {
    return snapshot(found(this.customers, 'customer', id));
  }

  listCustomers(): Customer[] {
    return [...this.customers.values()].map(snapshot);
  }

  /**
   * As Stripe does with its test PaymentMethods, attaching `pm_card_visa` saves a new PaymentMethod
   * (`pm_…`) for the Customer: the same card, usable from then on only with that Customer.
   */
  attachPaymentMethod(id: string, customerId: string): PaymentMethod {
    this.requireCustomer(customerId);
    const saved = this.paymentMethods.get(id);
    if (saved) {
      if (saved.paymentMethod.customer !== customerId) throw paymentMethodAlreadyAttached(id);
      return snapshot(saved.paymentMethod);
    }
    const source = testCard(id);
    if (!source) throw resourceMissing('PaymentMethod', id);
    const paymentMethod: PaymentMethod = {
      id: newId('pm'),
      object: 'payment_method',
      card: { ...source.card },
      created: unixNow(),
      customer: customerId,
      livemode: false,
      metadata: {},
      type: 'card',
    };
    this.paymentMethods.set(paymentMethod.id, { paymentMethod, behavior: source.behavior });
    this.counters.paymentMethodsAttached += 1;
    return snapshot(paymentMethod);
  }

  retrievePaymentMethod(id: string): PaymentMethod {
    const saved = this.paymentMethods.get(id);
    if (saved) return snapshot(saved.paymentMethod);
    const source = testCard(id);
    if (!source) throw resourceMissing('PaymentMethod', id);
    return {
      id,
      object: 'payment_method',
      card: { ...source.card },
      created: unixNow(),
      customer: null,
      livemode: false,
      metadata: {},
      type: 'card',
    };
  }

  listPaymentMethods(): PaymentMethod[] {
    return [...this.paymentMethods.values()].map((saved) => snapshot(saved.paymentMethod));
  }

  // ---- PaymentIntents ------------------------------------------------------------------------

  createPaymentIntent(input: CreatePaymentIntentInput): PaymentIntent {
    if (input.customer !== null) this.requireCustomer(input.customer);
    if (input.paymentMethod !== null) this.requireUsablePaymentMethod(input.paymentMethod, input.customer);
    if (input.confirm && input.paymentMethod === null) throw parameterMissing('payment_method');
    const id = newId('pi');
    const paymentIntent: PaymentIntent = {
      id,
      object: 'payment_intent',
      amount: input.amount,
      amount_capturable: 0,
      amount_received: 0,
      automatic_payment_methods:
        input.automaticPaymentMethods === null ? null : { enabled: input.automaticPaymentMethods },
      canceled_at: null,
      cancellation_reason: null,
      capture_method: input.captureMethod,
      client_secret: `${id}_secret_${randomToken(25)}`,
      confirmation_method: 'automatic',
      created: unixNow(),
      currency: input.currency,
      customer: input.customer,
      description: input.description,
      last_payment_error: null,
      latest_charge: null,
      livemode: false,
      metadata: input.metadata,
      next_action: null,
      payment_method: input.paymentMethod,
      payment_method_types: ['card'],
      status: input.paymentMethod === null ? 'requires_payment_method' : 'requires_confirmation',
    };
    this.paymentIntents.set(id, paymentIntent);
    this.counters.paymentIntentsCreated += 1;
    if (input.confirm && input.paymentMethod !== null)
      this.attemptPayment(paymentIntent, input.paymentMethod);
    return snapshot(paymentIntent);
  }

  retrievePaymentIntent(id: string): PaymentIntent {
    return snapshot(this.paymentIntent(id));
  }

  listPaymentIntents(): PaymentIntent[] {
    return [...this.paymentIntents.values()].map(snapshot);
  }

  confirmPaymentIntent(id: string, paymentMethod: string | null): PaymentIntent {
    const paymentIntent = this.paymentIntent(id);
    if (paymentMethod !== null) this.requireKnownPaymentMethod(paymentMethod);
    if (!CONFIRMABLE.has(paymentIntent.status)) {
      throw unexpectedState(
        snapshot(paymentIntent),
        `This PaymentIntent's status is ${paymentIntent.status}, but it must be one of requires_payment_method, requires_confirmation or requires_action to be confirmed.`,
      );
    }
    const method = paymentMethod ?? paymentIntent.payment_method;
    if (method === null) throw parameterMissing('payment_method');
    this.requireUsablePaymentMethod(method, paymentIntent.customer);
    this.attemptPayment(paymentIntent, method);
    return snapshot(paymentIntent);
  }

  cancelPaymentIntent(id: string, reason: string | null): PaymentIntent {
    const paymentIntent = this.paymentIntent(id);
    if (!CANCELABLE.has(paymentIntent.status)) {
      throw unexpectedState(
        snapshot(paymentIntent),
        `You cannot cancel this PaymentIntent because it has a status of ${paymentIntent.status}. Only a PaymentIntent with one of the following statuses may be canceled: ${[...CANCELABLE].join(', ')}.`,
      );
    }
    patch(paymentIntent, {
      status: 'canceled',
      canceled_at: unixNow(),
      cancellation_reason: reason,
      amount_capturable: 0,
      next_action: null,
    });
    this.recordEvent('payment_intent.canceled', paymentIntent);
    return snapshot(paymentIntent);
  }

  capturePaymentIntent(id: string, amountToCapture: number | null): PaymentIntent {
    const paymentIntent = this.paymentIntent(id);
    if (paymentIntent.status !== 'requires_capture') {
      throw unexpectedState(
        snapshot(paymentIntent),
        `This PaymentIntent could not be captured because it has a status of ${paymentIntent.status}. Only a PaymentIntent with one of the following statuses may be captured: requires_capture.`,
      );
    }
    const amount = amountToCapture ?? paymentIntent.amount_capturable;
    if (amount > paymentIntent.amount_capturable) {
      throw invalidRequest(
        `The amount to capture (${amount}) is greater than the amount capturable (${paymentIntent.amount_capturable}).`,
        'amount_too_large',
        'amount_to_capture',
      );
    }
    const charge = this.latestCharge(paymentIntent);
    patch(charge, { amount_captured: amount, captured: true });
    patch(paymentIntent, { status: 'succeeded', amount_received: amount, amount_capturable: 0 });
    this.recordEvent('payment_intent.succeeded', paymentIntent);
    return snapshot(paymentIntent);
  }

  /** Completes what a customer or a bank would: a `processing` or `requires_action` PaymentIntent ends. */
  settlePaymentIntent(id: string, outcome: SettleOutcome): PaymentIntent {
    const paymentIntent = this.paymentIntent(id);
    const method = paymentIntent.payment_method;
    if (
      (paymentIntent.status !== 'processing' && paymentIntent.status !== 'requires_action') ||
      method === null
    ) {
      throw unexpectedState(
        snapshot(paymentIntent),
        `Only a processing or requires_action PaymentIntent can be settled; this one is ${paymentIntent.status}.`,
      );
    }
    if (outcome === 'succeeded') {
      this.completeCharge(paymentIntent, method);
    } else {
      this.failPayment(paymentIntent, method, 'generic_decline');
    }
    return snapshot(paymentIntent);
  }

  // ---- Charges and refunds -------------------------------------------------------------------

  retrieveCharge(id: string): Charge {
    return snapshot(this.charge(id));
  }

  listCharges(): Charge[] {
    return [...this.charges.values()].map(snapshot);
  }

  createRefund(input: CreateRefundInput): Refund {
    const paymentIntent = this.refundablePaymentIntent(input);
    const charge = this.latestCharge(paymentIntent);
    const remaining = charge.amount_captured - charge.amount_refunded;
    if (remaining === 0) {
      throw invalidRequest(`Charge ${charge.id} has already been refunded.`, 'charge_already_refunded');
    }
    const amount = input.amount ?? remaining;
    if (amount > remaining) {
      throw invalidRequest(
        `Refund amount (${amount}) is greater than unrefunded amount on charge (${remaining}).`,
        'amount_too_large',
        'amount',
      );
    }
    const refund: Refund = {
      id: newId('re'),
      object: 'refund',
      amount,
      charge: charge.id,
      created: unixNow(),
      currency: charge.currency,
      failure_reason: null,
      metadata: input.metadata,
      payment_intent: paymentIntent.id,
      reason: input.reason,
      status: input.status ?? this.refundInitialStatus,
    };
    this.refunds.set(refund.id, refund);
    this.counters.refundsCreated += 1;
    this.recountRefunds(charge);
    this.recordEvent('charge.refunded', charge);
    this.recordEvent('refund.created', refund);
    return snapshot(refund);
  }

  /** The status refunds are created in from now on, until changed or reset. */
  setRefundInitialStatus(status: RefundInitialStatus): void {
    this.refundInitialStatus = status;
  }

  getRefundInitialStatus(): RefundInitialStatus {
    return this.refundInitialStatus;
  }

  /** Moves a refund on as its bank would; refuses a move Stripe never makes. */
  updateRefundStatus(id: string, status: RefundStatus, failureReason?: RefundFailureReason): Refund {
    const refund = this.refund(id);
    if (!REFUND_MOVES[refund.status].includes(status)) {
      throw invalidRequest(
        `Refund ${id} is ${refund.status}; it cannot become ${status}.`,
        undefined,
        'status',
      );
    }
    if (failureReason !== undefined && status !== 'failed') {
      throw invalidRequest('failure_reason applies only to a failed refund.', undefined, 'failure_reason');
    }
    patch(refund, {
      status,
      failure_reason: status === 'failed' ? (failureReason ?? 'declined') : null,
    });
    this.recountRefunds(this.charge(refund.charge));
    this.recordEvent('charge.refund.updated', refund);
    this.recordEvent('refund.updated', refund);
    if (status === 'failed') this.recordEvent('refund.failed', refund);
    return snapshot(refund);
  }

  retrieveRefund(id: string): Refund {
    return snapshot(this.refund(id));
  }

  listRefunds(): Refund[] {
    return [...this.refunds.values()].map(snapshot);
  }

  // ---- Events --------------------------------------------------------------------------------

  retrieveEvent(id: string): StripeEvent {
    return snapshot(found(this.events, 'event', id));
  }

  listEvents(): StripeEvent[] {
    return [...this.events.values()].map(snapshot);
  }

  /** Builds and keeps an event for an object's current state without queueing it for delivery. */
  buildEvent(type: EventType, object: EventObject): StripeEvent {
    const event: StripeEvent = {
      id: newId('evt'),
      object: 'event',
      api_version: this.apiVersion,
      created: unixNow(),
      data: { object: snapshot(object) },
      livemode: false,
      pending_webhooks: 1,
      request: { id: null, idempotency_key: null },
      type,
    };
    this.events.set(event.id, event);
    this.counters.eventsCreated += 1;
    return snapshot(event);
  }

  /**
   * Events produced by state changes since the last drain, for delivery once the response is out.
   * They are stamped with the request that caused them, as Stripe's `event.request` is.
   */
  drainOutbox(request: StripeEvent['request']): StripeEvent[] {
    const drained = this.outbox.flatMap((id) => {
      const event = this.events.get(id);
      if (!event) return [];
      event.request = { ...request };
      return [snapshot(event)];
    });
    this.outbox = [];
    return drained;
  }

  stats(): StoreCounters {
    return { ...this.counters };
  }

  // ---- Internals -----------------------------------------------------------------------------

  private recordEvent(type: EventType, object: EventObject): void {
    this.outbox.push(this.buildEvent(type, object).id);
  }

  private paymentIntent(id: string): PaymentIntent {
    return found(this.paymentIntents, 'payment_intent', id);
  }

  private charge(id: string): Charge {
    return found(this.charges, 'charge', id);
  }

  private refund(id: string): Refund {
    return found(this.refunds, 'refund', id);
  }

  /** Recomputed, never adjusted, so a refund that fails or is canceled gives its amount back. */
  private recountRefunds(charge: Charge): void {
    let refunded = 0;
    for (const refund of this.refunds.values()) {
      if (refund.charge === charge.id && COUNTED_REFUND_STATUSES.has(refund.status))
        refunded += refund.amount;
    }
    patch(charge, { amount_refunded: refunded, refunded: refunded === charge.amount_captured });
  }

  private latestCharge(paymentIntent: PaymentIntent): Charge {
    const charge =
      paymentIntent.latest_charge === null ? undefined : this.charges.get(paymentIntent.latest_charge);
    if (!charge)
      throw unexpectedState(snapshot(paymentIntent), `PaymentIntent ${paymentIntent.id} has no charge.`);
    return charge;
  }

  private requireKnownPaymentMethod(paymentMethod: string): void {
    if (!this.cardBehavior(paymentMethod)) {
      throw resourceMissing('PaymentMethod', paymentMethod, 'payment_method');
    }
  }

  /** Stripe's rule: a PaymentMethod saved to a Customer is only usable when that Customer is named. */
  private requireUsablePaymentMethod(paymentMethod: string, customer: string | null): void {
    this.requireKnownPaymentMethod(paymentMethod);
    const owner = this.paymentMethods.get(paymentMethod)?.paymentMethod.customer ?? null;
    if (owner === null || owner === customer) return;
    throw customer === null
      ? paymentMethodNeedsCustomer(paymentMethod)
      : paymentMethodOfAnotherCustomer(paymentMethod, customer);
  }

  private requireCustomer(id: string): void {
    if (!this.customers.has(id)) throw resourceMissing('customer', id, 'customer');
  }

  private cardBehavior(paymentMethod: string): CardBehavior | undefined {
    return this.paymentMethods.get(paymentMethod)?.behavior ?? testCard(paymentMethod)?.behavior;
  }

  private refundablePaymentIntent(input: CreateRefundInput): PaymentIntent {
    if (input.paymentIntent !== null)
      return this.succeededPaymentIntent(this.paymentIntent(input.paymentIntent));
    if (input.charge === null) throw parameterMissing('payment_intent');
    const charge = this.charge(input.charge);
    return this.succeededPaymentIntent(this.paymentIntent(charge.payment_intent));
  }

  private succeededPaymentIntent(paymentIntent: PaymentIntent): PaymentIntent {
    if (paymentIntent.status !== 'succeeded') {
      throw invalidRequest(
        `This PaymentIntent (${paymentIntent.id}) does not have a successful charge to refund; its status is ${paymentIntent.status}.`,
        'payment_intent_unexpected_state',
        'payment_intent',
      );
    }
    return paymentIntent;
  }

  private attemptPayment(paymentIntent: PaymentIntent, paymentMethod: string): void {
    const behavior = this.cardBehavior(paymentMethod);
    if (!behavior) throw resourceMissing('PaymentMethod', paymentMethod, 'payment_method');
    patch(paymentIntent, { payment_method: paymentMethod, last_payment_error: null, next_action: null });
    switch (behavior.kind) {
      case 'succeed':
        this.completeCharge(paymentIntent, paymentMethod);
        return;
      case 'decline':
        throw this.failPayment(paymentIntent, paymentMethod, behavior.declineCode);
      case 'requires_action':
        this.requireAction(paymentIntent);
        return;
      case 'processing':
        this.startProcessing(paymentIntent, paymentMethod);
        return;
    }
  }

  private completeCharge(paymentIntent: PaymentIntent, paymentMethod: string): void {
    const charge = this.chargeFor(paymentIntent, paymentMethod);
    const manual = paymentIntent.capture_method === 'manual';
    patch(charge, {
      status: 'succeeded',
      paid: true,
      captured: !manual,
      amount_captured: manual ? 0 : charge.amount,
    });
    patch(paymentIntent, {
      latest_charge: charge.id,
      next_action: null,
      status: manual ? 'requires_capture' : 'succeeded',
      amount_capturable: manual ? paymentIntent.amount : 0,
      amount_received: manual ? 0 : paymentIntent.amount,
    });
    this.recordEvent(
      manual ? 'payment_intent.amount_capturable_updated' : 'payment_intent.succeeded',
      paymentIntent,
    );
  }

  /** Leaves the PaymentIntent retryable with a new payment method; returns Stripe's 402 card error. */
  private failPayment(
    paymentIntent: PaymentIntent,
    paymentMethod: string,
    declineCode: string,
  ): StripeApiError {
    const charge = this.chargeFor(paymentIntent, paymentMethod);
    patch(charge, {
      status: 'failed',
      paid: false,
      failure_code: 'card_declined',
      failure_message: 'Your card was declined.',
    });
    patch(paymentIntent, {
      latest_charge: charge.id,
      next_action: null,
      payment_method: null,
      status: 'requires_payment_method',
      last_payment_error: {
        type: 'card_error',
        code: 'card_declined',
        decline_code: declineCode,
        message: 'Your card was declined.',
        charge: charge.id,
        payment_method: paymentMethodRef(paymentMethod),
      },
    });
    this.recordEvent('payment_intent.payment_failed', paymentIntent);
    return cardDeclined(snapshot(paymentIntent), charge.id, declineCode);
  }

  private requireAction(paymentIntent: PaymentIntent): void {
    patch(paymentIntent, {
      status: 'requires_action',
      next_action: {
        type: 'use_stripe_sdk',
        use_stripe_sdk: {
          type: 'three_d_secure_redirect',
          stripe_js: `https://hooks.stripe.com/3d_secure_2/hosted/${paymentIntent.id}`,
        },
      },
    });
    this.recordEvent('payment_intent.requires_action', paymentIntent);
  }

  private startProcessing(paymentIntent: PaymentIntent, paymentMethod: string): void {
    const charge = this.chargeFor(paymentIntent, paymentMethod);
    patch(paymentIntent, { latest_charge: charge.id, status: 'processing' });
    this.recordEvent('payment_intent.processing', paymentIntent);
  }

  /** The pending charge of this attempt, reused when a processing payment settles. */
  private chargeFor(paymentIntent: PaymentIntent, paymentMethod: string): Charge {
    const current =
      paymentIntent.latest_charge === null ? undefined : this.charges.get(paymentIntent.latest_charge);
    if (current?.status === 'pending') return current;
    const charge: Charge = {
      id: newId('ch'),
      object: 'charge',
      amount: paymentIntent.amount,
      amount_captured: 0,
      amount_refunded: 0,
      captured: false,
      created: unixNow(),
      currency: paymentIntent.currency,
      customer: paymentIntent.customer,
      description: paymentIntent.description,
      failure_code: null,
      failure_message: null,
      livemode: false,
      metadata: { ...paymentIntent.metadata },
      paid: false,
      payment_intent: paymentIntent.id,
      payment_method: paymentMethod,
      refunded: false,
      status: 'pending',
    };
    this.charges.set(charge.id, charge);
    return charge;
  }
}
