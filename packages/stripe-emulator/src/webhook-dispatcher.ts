import http from 'node:http';
import https from 'node:https';
import Stripe from 'stripe';
import { unixNow } from './ids';
import type {
  DeliverAllOptions,
  DeliverOptions,
  DeliveryOrder,
  EmulatorLogger,
  StripeEvent,
  WebhookDelivery,
  WebhookTarget,
} from './stripe-emulator.types';

const DELIVERY_TIMEOUT_MS = 10_000;

export interface SignOptions {
  secret: string;
  timestamp?: number;
}

/** Stripe-Signature exactly as Stripe computes it, through the SDK's own helper. */
export function signPayload(payload: string, { secret, timestamp }: SignOptions): string {
  return Stripe.webhooks.generateTestHeaderString({ payload, secret, timestamp: timestamp ?? unixNow() });
}

function ordered<T>(items: readonly T[], order: DeliveryOrder): T[] {
  switch (order) {
    case 'as-given':
      return [...items];
    case 'reverse':
      return [...items].reverse();
    case 'shuffle':
      return shuffled(items);
  }
}

function shuffled<T>(items: readonly T[]): T[] {
  const copy = [...items];
  for (let i = copy.length - 1; i > 0; i -= 1) {
    const j = Math.floor(Math.random() * (i + 1));
    [copy[i], copy[j]] = [copy[j], copy[i]];
  }
  return copy;
}

/** Resolves once pending I/O callbacks ran, i.e. after a response just written has left the process. */
function afterPendingIo(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/** One POST, no keep-alive: a delivery never leaves a socket open behind it. */
function post(url: string, body: string, headers: Record<string, string>): Promise<number> {
  const target = new URL(url);
  const transport = target.protocol === 'https:' ? https : http;
  return new Promise((resolve, reject) => {
    const request = transport.request(
      target,
      {
        method: 'POST',
        agent: false,
        timeout: DELIVERY_TIMEOUT_MS,
        headers: { ...headers, 'Content-Length': String(Buffer.byteLength(body)) },
      },
      (response) => {
        response.resume();
        response.on('end', () => resolve(response.statusCode ?? 0));
        response.on('error', reject);
      },
    );
    request.on('timeout', () => request.destroy(new Error(`no answer within ${DELIVERY_TIMEOUT_MS} ms`)));
    request.on('error', reject);
    request.end(body);
  });
}

/**
 * Sends signed events to the configured endpoint. Automatic deliveries go out one after another, in the
 * order the state changes happened; explicit ones (duplicates, reordering) are for tests that probe a
 * receiver's exactly-once handling. A failed delivery is recorded and logged, never thrown.
 */
export class WebhookDispatcher {
  private target: WebhookTarget | null;
  private autoDeliver: boolean;
  private queue: Promise<void> = Promise.resolve();
  private readonly inFlight = new Set<Promise<unknown>>();
  private deliveries: WebhookDelivery[] = [];

  constructor(
    target: WebhookTarget | null,
    autoDeliver: boolean | undefined,
    private readonly logger: EmulatorLogger,
  ) {
    this.target = target;
    this.autoDeliver = autoDeliver ?? target !== null;
  }

  configure(target: WebhookTarget | null, autoDeliver?: boolean): void {
    this.target = target;
    this.autoDeliver = autoDeliver ?? target !== null;
  }

  setAutoDeliver(enabled: boolean): void {
    this.autoDeliver = enabled;
  }

  settings(): { url: string | null; autoDeliver: boolean } {
    return { url: this.target?.url ?? null, autoDeliver: this.autoDeliver };
  }

  /** Queues events for delivery once the current I/O turn is over (after the API response is sent). */
  enqueue(events: readonly StripeEvent[]): void {
    const target = this.target;
    if (!this.autoDeliver || target === null || events.length === 0) return;
    this.queue = this.track(
      this.queue
        .then(afterPendingIo)
        .then(async () => {
          for (const event of events) await this.send(event, target, {});
        })
        .catch((error: unknown) => this.logger.warn(`Webhook delivery aborted: ${String(error)}`)),
    );
  }

  async deliver(event: StripeEvent, options: DeliverOptions = {}): Promise<number[]> {
    const target = this.requireTarget(options.target);
    const times = options.times ?? 1;
    if (options.concurrent) {
      const sends = Array.from({ length: times }, () => this.send(event, target, options));
      return this.track(Promise.all(sends));
    }
    const statuses: number[] = [];
    for (let i = 0; i < times; i += 1) statuses.push(await this.track(this.send(event, target, options)));
    return statuses;
  }

  /** Sends one after another in the requested order; statuses come back in delivery order. */
  async deliverAll(events: readonly StripeEvent[], options: DeliverAllOptions = {}): Promise<number[]> {
    const target = this.requireTarget(options.target);
    const statuses: number[] = [];
    for (const event of ordered(events, options.order ?? 'as-given')) {
      statuses.push(await this.track(this.send(event, target, options)));
    }
    return statuses;
  }

  sign(payload: string, options: Partial<SignOptions> = {}): string {
    return signPayload(payload, {
      secret: options.secret ?? this.requireTarget().secret,
      timestamp: options.timestamp,
    });
  }

  /** Waits until no delivery is in flight, including ones queued while waiting. */
  async idle(): Promise<void> {
    while (this.inFlight.size > 0) await Promise.allSettled([...this.inFlight]);
  }

  history(): WebhookDelivery[] {
    return this.deliveries.map((delivery) => ({ ...delivery }));
  }

  reset(): void {
    this.deliveries = [];
  }

  private track<T>(promise: Promise<T>): Promise<T> {
    this.inFlight.add(promise);
    void promise.finally(() => this.inFlight.delete(promise)).catch(() => undefined);
    return promise;
  }

  private requireTarget(override?: WebhookTarget): WebhookTarget {
    const target = override ?? this.target;
    if (!target) throw new Error('No webhook target configured');
    return target;
  }

  private async send(
    event: StripeEvent,
    target: WebhookTarget,
    options: Partial<SignOptions>,
  ): Promise<number> {
    const payload = JSON.stringify(event, null, 2);
    const signature = signPayload(payload, {
      secret: options.secret ?? target.secret,
      timestamp: options.timestamp,
    });
    const headers = {
      'Content-Type': 'application/json; charset=utf-8',
      'Stripe-Signature': signature,
      'User-Agent': 'Stripe/1.0 (+https://stripe.com/docs/webhooks)',
    };
    const record = (status: number, error: string | null): number => {
      this.deliveries.push({
        at: Date.now(),
        eventId: event.id,
        eventType: event.type,
        url: target.url,
        status,
        error,
      });
      if (error !== null || status < 200 || status >= 300) {
        this.logger.warn(
          `Webhook ${event.type} ${event.id} to ${target.url} failed: ${error ?? `HTTP ${status}`}`,
        );
      }
      return status;
    };
    try {
      return record(await post(target.url, payload, headers), null);
    } catch (error) {
      return record(0, error instanceof Error ? error.message : String(error));
    }
  }
}
