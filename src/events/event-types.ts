/** Not imported from the payments and refunds modules: they depend on this one, never the reverse. */
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

/** Recorded when the service disables an endpoint after five days of failed deliveries; it has no payment. */
export const ENDPOINT_DISABLED_EVENT = 'webhook_endpoint.disabled';

export const EVENT_TYPES = [...PAYMENT_EVENT_TYPES, ...REFUND_EVENT_TYPES, ENDPOINT_DISABLED_EVENT] as const;
export type EventType = (typeof EVENT_TYPES)[number];

export const EVENT_TYPE_PATTERNS = [...EVENT_TYPES, 'payment.*', 'refund.*', '*'] as const;
export type EventTypePattern = (typeof EVENT_TYPE_PATTERNS)[number];

export function subscribes(patterns: readonly string[], type: string): boolean {
  const kind = type.slice(0, type.indexOf('.'));
  return patterns.some((pattern) => pattern === '*' || pattern === type || pattern === `${kind}.*`);
}

export const CAUSE_KINDS = ['request', 'stripe_event', 'reconciliation', 'delivery_failures'] as const;
export type CauseKind = (typeof CAUSE_KINDS)[number];

export interface EventCause {
  kind: CauseKind;
  requestId?: string;
  idempotencyKey?: string;
  stripeEventId?: string;
}

export interface EventDraft {
  tenantId: string;
  /** For a refund event, the refund's payment, whose sequence it shares; null for tenant events. */
  paymentId: string | null;
  type: EventType;
  /** The payment, refund or endpoint as its own `GET` returns it after the change. */
  object: object;
  previousStatus: string | null;
  /** Defaults to the cause set by `withEventCause`. */
  cause?: EventCause;
}

export interface TenantEvent {
  id: string;
  type: EventType;
  createdAt: string;
  sequence: number;
  data: { object: Record<string, unknown>; previousStatus: string | null };
  cause: EventCause;
}
