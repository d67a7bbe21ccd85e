/**
 * The events a tenant hears about. A payment's and a refund's statuses are spelled as their own
 * modules spell them; they are listed here, not imported, so the payments and refunds modules
 * can depend on this one and never the other way round.
 */
export const PAYMENT_EVENT_TYPES = [
  'payment.requires_payment_method',
  'payment.processing',
  'payment.requires_action',
  'payment.succeeded',
  'payment.failed',
  'payment.canceled',
  'payment.partially_refunded',
  'payment.refunded',
] as const;

export const REFUND_EVENT_TYPES = [
  'refund.pending',
  'refund.requires_action',
  'refund.succeeded',
  'refund.failed',
  'refund.canceled',
] as const;

/** An endpoint the service disabled after five days of failed deliveries (no payment). */
export const ENDPOINT_DISABLED_EVENT = 'webhook_endpoint.disabled';

export const EVENT_TYPES = [...PAYMENT_EVENT_TYPES, ...REFUND_EVENT_TYPES, ENDPOINT_DISABLED_EVENT] as const;
export type EventType = (typeof EVENT_TYPES)[number];

/** What an endpoint may subscribe to: an event type, every event of a kind, or everything. */
export const EVENT_TYPE_PATTERNS = [...EVENT_TYPES, 'payment.*', 'refund.*', '*'] as const;
export type EventTypePattern = (typeof EVENT_TYPE_PATTERNS)[number];

/** Whether an endpoint subscribed to `patterns` receives events of `type`. */
export function subscribes(patterns: readonly string[], type: string): boolean {
  const kind = type.slice(0, type.indexOf('.'));
  return patterns.some((pattern) => pattern === '*' || pattern === type || pattern === `${kind}.*`);
}

export const CAUSE_KINDS = ['request', 'stripe_event', 'reconciliation', 'delivery_failures'] as const;
export type CauseKind = (typeof CAUSE_KINDS)[number];

/** What made the change: a client's request, a Stripe event, the reconciliation job, or failed deliveries. */
export interface EventCause {
  kind: CauseKind;
  requestId?: string;
  idempotencyKey?: string;
  stripeEventId?: string;
}

/** What the caller records (see `EventOutbox.record`). */
export interface EventDraft {
  tenantId: string;
  /** The payment the event belongs to (a refund's payment for refund events); null for tenant events. */
  paymentId: string | null;
  type: EventType;
  /** The payment, refund or endpoint as its own `GET` returns it after the change. */
  object: object;
  /** Its status before the change; null when the change created it. */
  previousStatus: string | null;
  /** Why it changed; by default the cause the entry point set (`withEventCause`). */
  cause?: EventCause;
}

/** An event as `GET /events/:id` answers it and as it is delivered. */
export interface TenantEvent {
  id: string;
  type: EventType;
  createdAt: string;
  sequence: number;
  data: { object: Record<string, unknown>; previousStatus: string | null };
  cause: EventCause;
}
