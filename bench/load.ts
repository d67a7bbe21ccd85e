import { randomUUID } from 'node:crypto';
import autocannon from 'autocannon';
import { CheckTally, headerValue, problemWith, REQUEST_TIMEOUT_S, webhookProblemWith } from './checks';
import {
  BODY,
  Context,
  IdempotencyScenario,
  REPLAYED_HEADER,
  routeOf,
  ScenarioName,
  signedEvent,
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
  scenario: ScenarioName;
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

function requestsFor(scenario: ScenarioName, context: Context, tally: CheckTally): autocannon.RequestSpec[] {
  return scenario === 'webhook'
    ? webhookRequests(context, tally)
    : idempotencyRequests(scenario, context, tally);
}

function idempotencyRequests(
  scenario: IdempotencyScenario,
  context: Context,
  tally: CheckTally,
): autocannon.RequestSpec[] {
  const keyFor = (): string | undefined => {
    if (scenario === 'replay') return context.replayKey;
    if (scenario === 'bare') return undefined;
    const key = randomUUID();
    if (context.issuedKeys.length < MAX_SAMPLES) context.issuedKeys.push(key);
    return key;
  };
  return [
    {
      method: 'POST',
      path: routeOf(scenario),
      headers: { 'content-type': 'application/json', authorization: context.authorization },
      body: BODY,
      // Every scenario rebuilds its request each time, so the client does the same work for all.
      setupRequest: (request) => {
        const key = keyFor();
        return { ...request, headers: { ...request.headers, ...(key ? { 'idempotency-key': key } : {}) } };
      },
      onResponse: (status, body, _context, headers) => {
        tally.responses++;
        const problem = problemWith(scenario, context, status, body, headerValue(headers, REPLAYED_HEADER));
        if (problem) {
          tally.failed++;
          tally.firstProblem ??= problem;
        }
      },
    },
  ];
}

function webhookRequests(context: Context, tally: CheckTally): autocannon.RequestSpec[] {
  return [
    {
      method: 'POST',
      path: WEBHOOK_PATH,
      headers: { 'content-type': 'application/json' },
      // Signed on the client for every send; the connection remembers which event is in flight.
      setupRequest: (request, connection) => {
        const event = signedEvent();
        connection.eventId = event.id;
        return {
          ...request,
          body: event.payload,
          headers: { ...request.headers, 'stripe-signature': event.signature },
        };
      },
      onResponse: (status, body, connection) => {
        tally.responses++;
        const problem = webhookProblemWith(status, body);
        if (problem) {
          tally.failed++;
          tally.firstProblem ??= problem;
        } else if (context.acknowledgedEvents.length < MAX_SAMPLES) {
          context.acknowledgedEvents.push(String(connection.eventId));
        }
      },
    },
  ];
}

function percentile(sorted: Float64Array, p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}

export function measure(
  phase: string,
  scenario: ScenarioName,
  load: Load,
  context: Context,
): Promise<Measurement> {
  if (aborted) return Promise.reject(new Error('interrupted'));
  const tally: CheckTally = { responses: 0, failed: 0 };
  const samples: number[] = [];
  return new Promise<Measurement>((resolve, reject) => {
    const instance = autocannon(
      {
        url: `http://127.0.0.1:${context.port}`,
        connections: load.connections,
        duration: load.seconds,
        timeout: REQUEST_TIMEOUT_S,
        requests: requestsFor(scenario, context, tally),
      },
      (error, result) => {
        running = undefined;
        if (error) return reject(error);
        if (aborted) return reject(new Error('interrupted'));
        const sorted = Float64Array.from(samples).sort();
        resolve({
          phase,
          scenario,
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
