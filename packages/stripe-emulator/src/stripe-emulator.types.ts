export type Metadata = Record<string, string>;

export type PaymentIntentStatus =
  | 'requires_payment_method'
  | 'requires_confirmation'
  | 'requires_action'
  | 'processing'
  | 'requires_capture'
  | 'succeeded'
  | 'canceled';

export type CaptureMethod = 'automatic' | 'automatic_async' | 'manual';

export interface LastPaymentError {
  type: 'card_error' | 'invalid_request_error';
  code: string;
  decline_code?: string;
  message: string;
  charge?: string;
  payment_method: { id: string; object: 'payment_method'; type: 'card' } | null;
}

export interface NextAction {
  type: 'use_stripe_sdk' | 'redirect_to_url';
  redirect_to_url?: { url: string; return_url: string | null };
  use_stripe_sdk?: { type: 'three_d_secure_redirect'; stripe_js: string };
}

export interface PaymentIntent {
  id: string;
  object: 'payment_intent';
  amount: number;
  amount_capturable: number;
  amount_received: number;
  automatic_payment_methods: { enabled: boolean } | null;
  canceled_at: number | null;
  cancellation_reason: string | null;
  capture_method: CaptureMethod;
  client_secret: string;
  confirmation_method: 'automatic';
  created: number;
  currency: string;
  customer: string | null;
  description: string | null;
  last_payment_error: LastPaymentError | null;
  latest_charge: string | null;
  livemode: false;
  metadata: Metadata;
  next_action: NextAction | null;
  payment_method: string | null;
  payment_method_types: string[];
  status: PaymentIntentStatus;
}

export interface Customer {
  id: string;
  object: 'customer';
  created: number;
  description: string | null;
  email: string | null;
  invoice_settings: { default_payment_method: string | null };
  livemode: false;
  metadata: Metadata;
  name: string | null;
}

export interface PaymentMethodCard {
  brand: string;
  exp_month: number;
  exp_year: number;
  funding: 'credit' | 'debit';
  last4: string;
}

export interface PaymentMethod {
  id: string;
  object: 'payment_method';
  card: PaymentMethodCard;
  created: number;
  /** Set once attached; a test PaymentMethod such as `pm_card_visa` is never attached itself. */
  customer: string | null;
  livemode: false;
  metadata: Metadata;
  type: 'card';
}

export type ChargeStatus = 'succeeded' | 'pending' | 'failed';

export interface Charge {
  id: string;
  object: 'charge';
  amount: number;
  amount_captured: number;
  amount_refunded: number;
  captured: boolean;
  created: number;
  currency: string;
  customer: string | null;
  description: string | null;
  failure_code: string | null;
  failure_message: string | null;
  livemode: false;
  metadata: Metadata;
  paid: boolean;
  payment_intent: string;
  payment_method: string;
  refunded: boolean;
  status: ChargeStatus;
}

export type RefundReason = 'duplicate' | 'fraudulent' | 'requested_by_customer';

export type RefundStatus = 'pending' | 'requires_action' | 'succeeded' | 'failed' | 'canceled';

/** The statuses a refund can be created in. */
export type RefundInitialStatus = Extract<RefundStatus, 'succeeded' | 'pending' | 'requires_action'>;

export type RefundFailureReason =
  | 'lost_or_stolen_card'
  | 'expired_or_canceled_card'
  | 'charge_for_pending_refund_disputed'
  | 'insufficient_funds'
  | 'declined'
  | 'merchant_request'
  | 'unknown';

/** A refund made outside the service's API, as from the Dashboard. */
export interface DashboardRefundInput {
  paymentIntent: string;
  /** Defaults to what is left to refund on the charge. */
  amount?: number;
  reason?: RefundReason;
  /** Overrides the initial status set with `setRefundInitialStatus` for this refund. */
  status?: RefundInitialStatus;
}

export interface Refund {
  id: string;
  object: 'refund';
  amount: number;
  charge: string;
  created: number;
  currency: string;
  metadata: Metadata;
  payment_intent: string;
  reason: RefundReason | null;
  status: RefundStatus;
  /** Set when, and only when, the refund failed. */
  failure_reason: RefundFailureReason | null;
}

export type EventType =
  | 'payment_intent.succeeded'
  | 'payment_intent.payment_failed'
  | 'payment_intent.canceled'
  | 'payment_intent.processing'
  | 'payment_intent.requires_action'
  | 'payment_intent.amount_capturable_updated'
  | RefundEventType;

/** `charge.refunded` carries the charge; the others carry the refund. */
export type RefundEventType =
  'charge.refunded' | 'charge.refund.updated' | 'refund.created' | 'refund.updated' | 'refund.failed';

export type EventObject = PaymentIntent | Charge | Refund;

export interface StripeEvent {
  id: string;
  object: 'event';
  api_version: string;
  created: number;
  data: { object: EventObject };
  livemode: false;
  pending_webhooks: number;
  request: { id: string | null; idempotency_key: string | null };
  type: EventType;
}

export interface StripeErrorBody {
  type: 'api_error' | 'card_error' | 'idempotency_error' | 'invalid_request_error' | 'authentication_error';
  message: string;
  code?: string;
  decline_code?: string;
  param?: string;
  charge?: string;
  payment_intent?: PaymentIntent;
}

export interface WebhookTarget {
  url: string;
  secret: string;
}

/** Anything with Nest's Logger shape fits here, so the service can pass its own logger. */
export interface EmulatorLogger {
  log(message: string): void;
  warn(message: string): void;
}

export interface StripeEmulatorOptions {
  /** 0 (the default) picks a free port. */
  port?: number;
  host?: string;
  webhook?: WebhookTarget;
  /** Defaults to true whenever a webhook target is configured. */
  autoDeliverWebhooks?: boolean;
  /** How long a stored idempotent result is replayed; Stripe keeps keys for 24 hours. */
  idempotencyTtlMs?: number;
  logger?: EmulatorLogger;
}

/** Which calls a fault applies to; both fields optional, an empty match applies to every API call. */
export interface FaultMatch {
  method?: string;
  /** Path prefix, e.g. `/v1/payment_intents`. */
  path?: string;
}

export interface FailFault extends FaultMatch {
  kind: 'fail';
  status: number;
  /** How many matching calls fail; default 1. */
  times?: number;
  type?: StripeErrorBody['type'];
  code?: string;
  message?: string;
}

export interface LatencyFault extends FaultMatch {
  kind: 'latency';
  ms: number;
  /** How many matching calls are delayed; default: every one until the faults are cleared. */
  times?: number;
}

export interface DropFault extends FaultMatch {
  kind: 'drop';
  /** How many matching calls execute but lose their response; default 1. */
  times?: number;
}

export type FaultSpec = FailFault | LatencyFault | DropFault;

export type RequestOutcome = 'executed' | 'replayed' | 'rejected' | 'fault';

export interface RequestLogEntry {
  at: number;
  requestId: string;
  method: string;
  path: string;
  idempotencyKey: string | null;
  replayed: boolean;
  outcome: RequestOutcome;
  status: number;
  /** The response was computed (and stored) but the socket was destroyed instead of answering. */
  dropped: boolean;
}

export interface EmulatorCounters {
  requests: number;
  executed: number;
  replayed: number;
  rejected: number;
  faults: number;
  dropped: number;
  paymentIntentsCreated: number;
  refundsCreated: number;
  eventsCreated: number;
  customersCreated: number;
  paymentMethodsAttached: number;
  webhookDeliveries: number;
  /** API requests received and not yet answered (control requests are not counted). */
  requestsInFlight: number;
}

export interface WebhookDelivery {
  at: number;
  eventId: string;
  eventType: EventType;
  url: string;
  /** 0 when no HTTP response came back (connection refused, timeout). */
  status: number;
  error: string | null;
}

export interface DeliverOptions {
  /** How many times the same event is delivered (duplicates); default 1. */
  times?: number;
  /** Send the duplicates all at once instead of one after the other. */
  concurrent?: boolean;
  /** Sign with this Unix timestamp (seconds) instead of now, e.g. to test staleness. */
  timestamp?: number;
  /** Sign with this secret instead of the target's, e.g. to test a bad signature. */
  secret?: string;
  /** Deliver to this target instead of the configured one. */
  target?: WebhookTarget;
}

export type DeliveryOrder = 'as-given' | 'reverse' | 'shuffle';

export interface DeliverAllOptions extends Omit<DeliverOptions, 'times' | 'concurrent'> {
  order?: DeliveryOrder;
}

export type SettleOutcome = 'succeeded' | 'failed';

export interface EmulatorState {
  url: string | null;
  customers: Customer[];
  paymentMethods: PaymentMethod[];
  paymentIntents: PaymentIntent[];
  charges: Charge[];
  refunds: Refund[];
  /** The status new refunds start in. */
  refundInitialStatus: RefundInitialStatus;
  events: StripeEvent[];
  requests: RequestLogEntry[];
  counters: EmulatorCounters;
  faults: FaultSpec[];
  webhook: { url: string | null; autoDeliver: boolean; deliveries: WebhookDelivery[] };
}
