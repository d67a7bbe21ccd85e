import { randomUUID } from 'node:crypto';
import autocannon from 'autocannon';
import { Answer, CheckTally, headerValue, problemWith, REQUEST_TIMEOUT_S } from './checks';
import {
  Context,
  HEALTH_PATH,
  PAYMENT_BODY,
  PAYMENT_PATH,
  REPLAYED_HEADER,
  RouteName,
  signedEvent,
  targetOf,
  WEBHOOK_PATH,
} from './scenarios';

/** Load with autocannon, every answer checked, latency taken from every response. */

export interface Load {
  connections: number;
  seconds: number;
}

/** Bounds the memory kept for latency samples and keys to clean up. */
const MAX_SAMPLES = 1_000_000;

export interface Measurement {
  phase: string;
  route: RouteName;
  load: Load;
  /** Mean of autocannon's per-second samples. */
  rps: number;
  /** Milliseconds, from every response's own timing (sub-millisecond resolution). */
  p50: number;
  p99: number;
  responses: number;
  non2xx: number;
  errors: number;
  timeouts: number;
  failedChecks: number;
  firstProblem?: string;
}

let running: autocannon.Instance | undefined;
let aborted = false;

/** Stops the load under way and refuses any more: the run is over. */
export function abortLoad(): void {
  aborted = true;
  running?.stop();
}

type Connection = Record<string, unknown>;

/** How a route's request is made anew for each send, and what is remembered of a good answer. */
interface RequestPlan {
  method: 'GET' | 'POST';
  path: string;
  headers: Record<string, string>;
  body?: string;
  fresh?: (connection: Connection) => { headers?: Record<string, string>; body?: string };
  remember?: (connection: Connection) => void;
}

function planFor(route: RouteName, context: Context): RequestPlan {
  const json = { 'content-type': 'application/json' };
  const asUser = { ...json, authorization: context.authorization };
  switch (route) {
    case 'health':
      return { method: 'GET', path: HEALTH_PATH, headers: {} };
    case 'new payment':
    case 'subscribed payment':
      return {
        method: 'POST',
        path: PAYMENT_PATH,
        headers:
          route === 'new payment' ? asUser : { ...json, authorization: context.subscribedAuthorization },
        body: PAYMENT_BODY,
        fresh: () => {
          const key = randomUUID();
          if (context.issuedKeys.length < MAX_SAMPLES) context.issuedKeys.push(key);
          return { headers: { 'idempotency-key': key } };
        },
      };
    case 'replay':
      return {
        method: 'POST',
        path: PAYMENT_PATH,
        headers: { ...asUser, 'idempotency-key': context.replayKey },
        body: PAYMENT_BODY,
      };
    case 'reference':
      return {
        method: 'POST',
        path: PAYMENT_PATH,
        headers: json,
        body: PAYMENT_BODY,
        fresh: () => ({ headers: { 'idempotency-key': randomUUID() } }),
      };
    case 'webhook':
      return {
        method: 'POST',
        path: WEBHOOK_PATH,
        headers: json,
        // Signed on the client for every send; the connection remembers which event is in flight.
        fresh: (connection) => {
          const event = signedEvent();
          connection.eventId = event.id;
          return { body: event.payload, headers: { 'stripe-signature': event.signature } };
        },
        remember: (connection) => {
          if (context.acknowledgedEvents.length < MAX_SAMPLES)
            context.acknowledgedEvents.push(String(connection.eventId));
        },
      };
  }
}

function requestsFor(route: RouteName, context: Context, tally: CheckTally): autocannon.RequestSpec[] {
  const plan = planFor(route, context);
  const { fresh, remember } = plan;
  return [
    {
      method: plan.method,
      path: plan.path,
      headers: plan.headers,
      body: plan.body,
      // autocannon calls setupRequest whenever the key is present: only routes that need one have it.
      ...(fresh && {
        setupRequest: (request: autocannon.Request, connection: Connection) => {
          const { headers, body } = fresh(connection);
          return {
            ...request,
            headers: { ...request.headers, ...headers },
            ...(body === undefined ? {} : { body }),
          };
        },
      }),
      onResponse: (status, body, connection, headers) => {
        tally.responses++;
        const answer: Answer = { status, body, replayed: headerValue(headers, REPLAYED_HEADER) };
        const problem = problemWith(route, answer, context, tally);
        if (problem) {
          tally.failed++;
          tally.firstProblem ??= problem;
        } else {
          remember?.(connection);
        }
      },
    },
  ];
}

function percentile(sorted: Float64Array, p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}

export function measure(phase: string, route: RouteName, load: Load, context: Context): Promise<Measurement> {
  if (aborted) return Promise.reject(new Error('interrupted'));
  const tally: CheckTally = { responses: 0, failed: 0, paymentIds: new Set() };
  const samples: number[] = [];
  return new Promise<Measurement>((resolve, reject) => {
    const instance = autocannon(
      {
        url: `http://127.0.0.1:${context.ports[targetOf(route)]}`,
        connections: load.connections,
        duration: load.seconds,
        timeout: REQUEST_TIMEOUT_S,
        requests: requestsFor(route, context, tally),
      },
      (error, result) => {
        running = undefined;
        if (error) return reject(error);
        if (aborted) return reject(new Error('interrupted'));
        const sorted = Float64Array.from(samples).sort();
        resolve({
          phase,
          route,
          load,
          rps: result.requests.average,
          p50: percentile(sorted, 50),
          p99: percentile(sorted, 99),
          responses: tally.responses,
          non2xx: result.non2xx,
          errors: result.errors,
          timeouts: result.timeouts,
          failedChecks: tally.failed,
          firstProblem: tally.firstProblem,
        });
      },
    );
    running = instance;
    instance.on('response', (_client, _status, _bytes, responseTimeMs) => {
      if (samples.length < MAX_SAMPLES) samples.push(responseTimeMs);
    });
  });
}
