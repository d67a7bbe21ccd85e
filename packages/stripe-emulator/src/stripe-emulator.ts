import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { parse as parseForm } from 'qs';
import Stripe from 'stripe';
import { apiRoutes, refundInput, type ApiHandler } from './api-routes';
import { ControlError, controlRoutes, type ControlHandler, type EmulatorControls } from './control-api';
import { EmulatorStore } from './emulator-store';
import { FaultInjector, matchesCall } from './fault-injector';
import type { FormParams } from './form-params';
import { secretKey, headerValue, PayloadTooLargeError, readBody, sleep, writeJson } from './http-io';
import { newId } from './ids';
import { canonicalJson, IdempotencyStore, type Claim } from './idempotency-store';
import type { RouteMatch, Router } from './router';
import { authenticationFailed, internalError, StripeApiError, unrecognizedUrl } from './stripe-api-error';
import type {
  Charge,
  Customer,
  DashboardRefundInput,
  DeliverAllOptions,
  DeliverOptions,
  EmulatorCounters,
  EmulatorLogger,
  EmulatorState,
  EventType,
  FailFault,
  FaultMatch,
  FaultSpec,
  PaymentIntent,
  PaymentMethod,
  Refund,
  RefundEventType,
  RefundFailureReason,
  RefundInitialStatus,
  RefundStatus,
  RequestLogEntry,
  RequestOutcome,
  SettleOutcome,
  StripeEmulatorOptions,
  StripeEvent,
  WebhookDelivery,
  WebhookTarget,
} from './stripe-emulator.types';
import { WebhookDispatcher } from './webhook-dispatcher';

const DAY_MS = 24 * 60 * 60 * 1000;
/** The request log is for inspection, not an archive: a long-running sandbox keeps only the latest lines. */
const MAX_LOG_ENTRIES = 10_000;

/** The event a PaymentIntent's current status announces. */
const STATUS_EVENTS: Partial<Record<PaymentIntent['status'], EventType>> = {
  succeeded: 'payment_intent.succeeded',
  requires_payment_method: 'payment_intent.payment_failed',
  canceled: 'payment_intent.canceled',
  processing: 'payment_intent.processing',
  requires_action: 'payment_intent.requires_action',
  requires_capture: 'payment_intent.amount_capturable_updated',
};

interface ApiCall {
  requestId: string;
  method: string;
  path: string;
  params: FormParams;
  apiKey: string | null;
  idempotencyKey: string | null;
  stripeVersion: string;
}

/** What the pipeline decided to answer; `dropped` responses are computed but never sent. */
interface ApiAnswer {
  outcome: RequestOutcome;
  status: number;
  body: string;
  headers: Record<string, string>;
  dropped: boolean;
}

const STDERR_LOGGER: EmulatorLogger = {
  log: (message) => process.stderr.write(`[stripe-emulator] ${message}\n`),
  warn: (message) => process.stderr.write(`[stripe-emulator] WARN ${message}\n`),
};

type RequestCounters = Pick<
  EmulatorCounters,
  'requests' | 'executed' | 'replayed' | 'rejected' | 'faults' | 'dropped'
>;

function emptyCounters(): RequestCounters {
  return { requests: 0, executed: 0, replayed: 0, rejected: 0, faults: 0, dropped: 0 };
}

interface InFlightWaiter {
  count: number;
  match: FaultMatch;
  resolve(): void;
}

function serialize(body: object): string {
  return JSON.stringify(body, null, 2);
}

function faultError(fault: FailFault): StripeApiError {
  const rateLimited = fault.status === 429;
  return new StripeApiError(
    fault.status,
    {
      type: fault.type ?? (rateLimited ? 'invalid_request_error' : 'api_error'),
      code: fault.code ?? (rateLimited ? 'rate_limit' : undefined),
      message:
        fault.message ??
        `Injected fault: the emulator answered ${fault.status} without executing the request.`,
    },
    false,
  );
}

/**
 * An in-process stand-in for the Stripe API that the real `stripe` SDK talks to over HTTP: PaymentIntents,
 * refunds, Customers and their saved PaymentMethods, Stripe's idempotency semantics, signed webhooks, and
 * faults to inject (errors, latency, lost responses) for testing how a client survives them.
 */
export class StripeEmulator implements EmulatorControls {
  private readonly store = new EmulatorStore(Stripe.API_VERSION);
  private readonly idempotency: IdempotencyStore;
  private readonly faults = new FaultInjector();
  private readonly webhooks: WebhookDispatcher;
  private readonly logger: EmulatorLogger;
  private readonly api: Router<ApiHandler>;
  private readonly control: Router<ControlHandler>;
  private server: Server | null = null;
  private address: { url: string; port: number } | null = null;
  private log: RequestLogEntry[] = [];
  private counters = emptyCounters();
  private readonly inFlight = new Set<{ method: string; path: string }>();
  private inFlightWaiters: InFlightWaiter[] = [];

  constructor(private readonly options: StripeEmulatorOptions = {}) {
    this.logger = options.logger ?? STDERR_LOGGER;
    this.idempotency = new IdempotencyStore(options.idempotencyTtlMs ?? DAY_MS);
    this.webhooks = new WebhookDispatcher(options.webhook ?? null, options.autoDeliverWebhooks, this.logger);
    this.api = apiRoutes(this.store);
    this.control = controlRoutes(this);
  }

  // ---- Lifecycle -----------------------------------------------------------------------------

  async start(): Promise<{ url: string; port: number }> {
    if (this.address) return this.address;
    const host = this.options.host ?? '127.0.0.1';
    const server = createServer((request, response) => void this.handle(request, response));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.options.port ?? 0, host, () => resolve());
    });
    const { port } = server.address() as AddressInfo;
    this.server = server;
    this.address = { url: `http://${host.includes(':') ? `[${host}]` : host}:${port}`, port };
    return this.address;
  }

  async stop(): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = null;
    this.address = null;
    await this.webhooksIdle();
    // The SDK keeps sockets alive between calls; close them rather than wait for their idle timeout.
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  get url(): string {
    if (!this.address) throw new Error('StripeEmulator is not started');
    return this.address.url;
  }

  get port(): number {
    if (!this.address) throw new Error('StripeEmulator is not started');
    return this.address.port;
  }

  /** Forgets every object, idempotency key, fault, log line and delivery; the webhook target stays. */
  reset(): void {
    this.store.reset();
    this.idempotency.clear();
    this.faults.clear();
    this.webhooks.reset();
    this.log = [];
    this.counters = emptyCounters();
  }

  /**
   * Forgets every stored idempotent result at once, as if Stripe's 24-hour window had passed, so a
   * retry with an old key executes anew. Keys of requests still running are kept: their window has
   * not started. Returns how many keys were forgotten.
   */
  forgetIdempotencyKeys(): number {
    return this.idempotency.forgetCompleted();
  }

  // ---- Faults --------------------------------------------------------------------------------

  injectFault(spec: FaultSpec): void {
    this.faults.add(spec);
  }

  /** The next `times` matching calls answer `status` with a Stripe `api_error`, without executing. */
  failNext(times: number, status: number, match: FaultMatch = {}): void {
    this.injectFault({ kind: 'fail', times, status, ...match });
  }

  /** Matching calls wait `ms` before executing (while holding their idempotency key); until cleared. */
  addLatency(ms: number, match: FaultMatch = {}): void {
    this.injectFault({ kind: 'latency', ms, ...match });
  }

  /** The next `times` matching calls execute and store their result, then lose the connection. */
  dropAfterCommit(times: number, match: FaultMatch = {}): void {
    this.injectFault({ kind: 'drop', times, ...match });
  }

  clearFaults(): void {
    this.faults.clear();
  }

  activeFaults(): FaultSpec[] {
    return this.faults.list();
  }

  // ---- Requests in flight -------------------------------------------------------------------

  /**
   * API calls being handled (received in full, not yet answered or dropped), optionally only those
   * matching a fault-style filter. Control requests are not counted.
   */
  requestsInFlight(match: FaultMatch = {}): number {
    let count = 0;
    for (const call of this.inFlight) if (matchesCall(match, call.method, call.path)) count += 1;
    return count;
  }

  /**
   * Resolves once at least `count` API requests (matching `match`, as fault filters do) are being
   * handled at the same time, so a test can act while a Stripe call is in progress instead of sleeping.
   * Rejects after `timeoutMs`.
   */
  whenRequestsInFlight(count: number, timeoutMs = 5000, match: FaultMatch = {}): Promise<void> {
    if (this.requestsInFlight(match) >= count) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      const waiter: InFlightWaiter = {
        count,
        match,
        resolve: () => {
          clearTimeout(timer);
          resolve();
        },
      };
      const timer = setTimeout(() => {
        this.inFlightWaiters = this.inFlightWaiters.filter((candidate) => candidate !== waiter);
        const filter = match.method || match.path ? ` matching ${JSON.stringify(match)}` : '';
        reject(
          new Error(
            `Timed out after ${timeoutMs} ms waiting for ${count} API request(s)${filter} in flight; ${this.requestsInFlight(match)} are.`,
          ),
        );
      }, timeoutMs);
      this.inFlightWaiters.push(waiter);
    });
  }

  /** Counts the call as in flight until the returned function is called, waking satisfied waiters. */
  private beginApiCall(call: ApiCall): () => void {
    const flight = { method: call.method, path: call.path };
    this.inFlight.add(flight);
    const satisfied = this.inFlightWaiters.filter(
      (waiter) => this.requestsInFlight(waiter.match) >= waiter.count,
    );
    this.inFlightWaiters = this.inFlightWaiters.filter((waiter) => !satisfied.includes(waiter));
    satisfied.forEach((waiter) => waiter.resolve());
    return () => this.inFlight.delete(flight);
  }

  // ---- Webhooks ------------------------------------------------------------------------------

  setWebhookTarget(target: WebhookTarget | null, options: { autoDeliver?: boolean } = {}): void {
    this.webhooks.configure(target, options.autoDeliver);
  }

  get autoDeliverWebhooks(): boolean {
    return this.webhooks.settings().autoDeliver;
  }

  set autoDeliverWebhooks(enabled: boolean) {
    this.webhooks.setAutoDeliver(enabled);
  }

  /** An event for the PaymentIntent as it is now, typed after its status unless told; not sent. */
  buildPaymentIntentEvent(id: string, type?: EventType): StripeEvent {
    const paymentIntent = this.store.retrievePaymentIntent(id);
    const eventType = type ?? STATUS_EVENTS[paymentIntent.status];
    if (!eventType) throw new Error(`No event announces a PaymentIntent in status ${paymentIntent.status}`);
    return this.store.buildEvent(eventType, paymentIntent);
  }

  /** An event for the refund as it is now; `charge.refunded` carries its charge instead. Not sent. */
  buildRefundEvent(id: string, type: RefundEventType = 'charge.refund.updated'): StripeEvent {
    const refund = this.store.retrieveRefund(id);
    const object = type === 'charge.refunded' ? this.store.retrieveCharge(refund.charge) : refund;
    return this.store.buildEvent(type, object);
  }

  /** A `Stripe-Signature` header for any payload, e.g. with a stale timestamp or a wrong secret. */
  signPayload(payload: string, options: { secret?: string; timestamp?: number } = {}): string {
    return this.webhooks.sign(payload, options);
  }

  /** Delivers one event (`times` duplicates, optionally concurrent); resolves to the HTTP statuses. */
  deliver(event: StripeEvent, options: DeliverOptions = {}): Promise<number[]> {
    return this.webhooks.deliver(event, options);
  }

  deliverAll(events: readonly StripeEvent[], options: DeliverAllOptions = {}): Promise<number[]> {
    return this.webhooks.deliverAll(events, options);
  }

  /** Resolves once every queued or running delivery has finished. */
  webhooksIdle(): Promise<void> {
    return this.webhooks.idle();
  }

  webhookDeliveries(): WebhookDelivery[] {
    return this.webhooks.history();
  }

  // ---- Test helpers and inspection -----------------------------------------------------------

  /** Ends a `processing` or `requires_action` PaymentIntent as the bank or the customer would. */
  settlePaymentIntent(id: string, outcome: SettleOutcome): PaymentIntent {
    const paymentIntent = this.store.settlePaymentIntent(id, outcome);
    this.queueEvents({ id: null, idempotency_key: null });
    return paymentIntent;
  }

  /** The status refunds start in from now on (API and Dashboard alike), until changed or `reset()`. */
  setRefundInitialStatus(status: RefundInitialStatus): void {
    this.store.setRefundInitialStatus(status);
  }

  /**
   * A refund made outside the service's API, as from the Dashboard: the checks and events of
   * `POST /v1/refunds`, without idempotency or the request pipeline. Its events name a request of
   * their own and no idempotency key.
   */
  createDashboardRefund(input: DashboardRefundInput): Refund {
    // As form parameters, so the API's own checks refuse what POST /v1/refunds would (e.g. amount 1.5).
    const params = {
      payment_intent: input.paymentIntent,
      amount: input.amount === undefined ? undefined : String(input.amount),
      reason: input.reason,
    };
    const refund = this.store.createRefund({ ...refundInput(params), status: input.status });
    this.queueEvents({ id: newId('req'), idempotency_key: null });
    return refund;
  }

  /**
   * Moves a refund on as its bank would: `requires_action` → `pending`, `succeeded`, `failed` or
   * `canceled`; `pending` → `succeeded`, `failed` or `canceled`; `succeeded` → `failed`. A failed refund
   * gets `failureReason` (default `declined`) and gives its amount back to the charge.
   */
  updateRefundStatus(id: string, status: RefundStatus, failureReason?: RefundFailureReason): Refund {
    const refund = this.store.updateRefundStatus(id, status, failureReason);
    this.queueEvents({ id: null, idempotency_key: null });
    return refund;
  }

  /** A Customer made directly, as the Dashboard would, for tests that need one to exist. */
  createCustomer(
    fields: Partial<Pick<Customer, 'email' | 'name' | 'description' | 'metadata'>> = {},
  ): Customer {
    return this.store.createCustomer({
      email: fields.email ?? null,
      name: fields.name ?? null,
      description: fields.description ?? null,
      metadata: fields.metadata ?? {},
    });
  }

  customers(): Customer[] {
    return this.store.listCustomers();
  }

  /** PaymentMethods attached to Customers (the test PaymentMethods themselves are not listed). */
  paymentMethods(): PaymentMethod[] {
    return this.store.listPaymentMethods();
  }

  paymentIntents(): PaymentIntent[] {
    return this.store.listPaymentIntents();
  }

  charges(): Charge[] {
    return this.store.listCharges();
  }

  refunds(): Refund[] {
    return this.store.listRefunds();
  }

  events(): StripeEvent[] {
    return this.store.listEvents();
  }

  requestLog(): RequestLogEntry[] {
    return this.log.map((entry) => ({ ...entry }));
  }

  stats(): EmulatorCounters {
    return {
      ...this.counters,
      ...this.store.stats(),
      webhookDeliveries: this.webhooks.history().length,
      requestsInFlight: this.inFlight.size,
    };
  }

  state(): EmulatorState {
    return {
      url: this.address?.url ?? null,
      customers: this.customers(),
      paymentMethods: this.paymentMethods(),
      paymentIntents: this.paymentIntents(),
      charges: this.charges(),
      refunds: this.refunds(),
      refundInitialStatus: this.store.getRefundInitialStatus(),
      events: this.events(),
      requests: this.requestLog(),
      counters: this.stats(),
      faults: this.activeFaults(),
      webhook: { ...this.webhooks.settings(), deliveries: this.webhookDeliveries() },
    };
  }

  /** Queues for delivery the events a change made outside an API call produced. */
  private queueEvents(request: StripeEvent['request']): void {
    this.webhooks.enqueue(this.store.drainOutbox(request));
  }

  // ---- HTTP ----------------------------------------------------------------------------------

  private async handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    try {
      const url = new URL(request.url ?? '/', 'http://emulator');
      const body = await readBody(request);
      if (url.pathname.startsWith('/_emulator/')) {
        await this.handleControl(request.method ?? 'GET', url.pathname, body, response);
      } else {
        await this.handleApi(this.apiCall(request, url, body), response);
      }
    } catch (error) {
      const tooLarge = error instanceof PayloadTooLargeError;
      if (!tooLarge) this.logger.warn(`Unexpected emulator failure: ${String(error)}`);
      if (!response.headersSent) {
        const failure = tooLarge
          ? new StripeApiError(413, { type: 'invalid_request_error', message: error.message })
          : internalError();
        writeJson(response, failure.status, serialize(failure.toJSON()));
      }
    }
  }

  private apiCall(request: IncomingMessage, url: URL, body: string): ApiCall {
    const method = request.method ?? 'GET';
    return {
      requestId: newId('req'),
      method,
      path: url.pathname,
      params: parseForm(method === 'GET' || method === 'DELETE' ? url.search.slice(1) : body),
      apiKey: secretKey(request),
      idempotencyKey: method === 'POST' ? headerValue(request, 'idempotency-key') : null,
      stripeVersion: headerValue(request, 'stripe-version') ?? Stripe.API_VERSION,
    };
  }

  private async handleApi(call: ApiCall, response: ServerResponse): Promise<void> {
    const endCall = this.beginApiCall(call);
    try {
      await this.respond(call, response);
    } finally {
      endCall();
    }
  }

  private async respond(call: ApiCall, response: ServerResponse): Promise<void> {
    const answer = await this.answer(call);
    const events = this.store.drainOutbox({ id: call.requestId, idempotency_key: call.idempotencyKey });
    if (answer.dropped) {
      response.socket?.destroy();
    } else {
      writeJson(response, answer.status, answer.body, this.responseHeaders(call, answer));
    }
    this.record(call, answer);
    this.webhooks.enqueue(events);
  }

  /** Auth, route, injected failure, idempotency, latency, execution, and the commit-then-drop fault. */
  private async answer(call: ApiCall): Promise<ApiAnswer> {
    if (call.apiKey === null) {
      return this.errorAnswer(
        'rejected',
        authenticationFailed('Invalid API Key provided. Use a secret key: sk_test_…'),
      );
    }
    const route = this.api.match(call.method, call.path);
    if (!route) return this.errorAnswer('rejected', unrecognizedUrl(call.method, call.path));
    const fault = this.faults.takeFailure(call.method, call.path);
    if (fault) return this.errorAnswer('fault', faultError(fault));

    const claim = this.claimIdempotencyKey(call, call.apiKey);
    await sleep(this.faults.takeLatencyMs(call.method, call.path));
    const answer = this.resolveClaim(call, route, claim);
    const droppable = answer.outcome === 'executed' || answer.outcome === 'replayed';
    return droppable && this.faults.takeDrop(call.method, call.path) ? { ...answer, dropped: true } : answer;
  }

  private claimIdempotencyKey(call: ApiCall, apiKey: string): Claim | null {
    if (call.idempotencyKey === null) return null;
    return this.idempotency.claim({
      scope: apiKey,
      key: call.idempotencyKey,
      endpoint: `${call.method} ${call.path}`,
      fingerprint: canonicalJson(call.params),
    });
  }

  private resolveClaim(call: ApiCall, route: RouteMatch<ApiHandler>, claim: Claim | null): ApiAnswer {
    if (claim?.kind === 'conflict') return this.errorAnswer('rejected', claim.error);
    if (claim?.kind === 'replay') {
      const { status, body, requestId } = claim.response;
      return {
        outcome: 'replayed',
        status,
        body,
        headers: { 'Idempotent-Replayed': 'true', 'Original-Request': requestId },
        dropped: false,
      };
    }
    const answer = this.execute(route, call.params);
    if (claim && answer.outcome === 'executed') {
      claim.complete({ status: answer.status, body: answer.body, requestId: call.requestId });
    } else {
      claim?.release();
    }
    return answer;
  }

  private execute(route: RouteMatch<ApiHandler>, params: FormParams): ApiAnswer {
    try {
      const { status, body } = route.handler({ params, path: route.pathParams });
      return { outcome: 'executed', status, body: serialize(body), headers: {}, dropped: false };
    } catch (error) {
      if (error instanceof StripeApiError) {
        return this.errorAnswer(error.storable ? 'executed' : 'rejected', error);
      }
      const detail = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
      this.logger.warn(`Handler failure: ${detail}`);
      return this.errorAnswer('rejected', internalError());
    }
  }

  private errorAnswer(outcome: RequestOutcome, error: StripeApiError): ApiAnswer {
    return { outcome, status: error.status, body: serialize(error.toJSON()), headers: {}, dropped: false };
  }

  private responseHeaders(call: ApiCall, answer: ApiAnswer): Record<string, string> {
    return {
      'Request-Id': call.requestId,
      'Stripe-Version': call.stripeVersion,
      ...(call.idempotencyKey === null ? {} : { 'Idempotency-Key': call.idempotencyKey }),
      ...answer.headers,
    };
  }

  private record(call: ApiCall, answer: ApiAnswer): void {
    this.log.push({
      at: Date.now(),
      requestId: call.requestId,
      method: call.method,
      path: call.path,
      idempotencyKey: call.idempotencyKey,
      replayed: answer.outcome === 'replayed',
      outcome: answer.outcome,
      status: answer.status,
      dropped: answer.dropped,
    });
    if (this.log.length > MAX_LOG_ENTRIES) this.log.splice(0, this.log.length - MAX_LOG_ENTRIES);
    this.counters.requests += 1;
    this.counters[answer.outcome === 'fault' ? 'faults' : answer.outcome] += 1;
    if (answer.dropped) this.counters.dropped += 1;
  }

  private async handleControl(
    method: string,
    path: string,
    rawBody: string,
    response: ServerResponse,
  ): Promise<void> {
    const route = this.control.match(method, path);
    if (!route) {
      writeJson(
        response,
        404,
        serialize({ error: { message: `Unknown control endpoint ${method} ${path}` } }),
      );
      return;
    }
    try {
      const { status, body } = await route.handler({
        body: parseJsonObject(rawBody),
        path: route.pathParams,
      });
      writeJson(response, status, JSON.stringify(body, null, 2));
    } catch (error) {
      if (error instanceof StripeApiError) {
        writeJson(response, error.status, serialize(error.toJSON()));
      } else if (error instanceof ControlError || error instanceof Error) {
        writeJson(response, 400, serialize({ error: { message: error.message } }));
      } else {
        throw error;
      }
    }
  }
}

function parseJsonObject(raw: string): Record<string, unknown> {
  if (raw.trim() === '') return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    throw new ControlError('The body must be JSON');
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new ControlError('The body must be a JSON object');
  }
  return parsed as Record<string, unknown>;
}
