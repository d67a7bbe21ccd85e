import { AsyncLocalStorage } from 'node:async_hooks';
import { currentRequestIdValue } from '../common/logging/access-log';
import type { EventCause } from './event-types';

const causes = new AsyncLocalStorage<EventCause>();

/**
 * Runs `work` with `cause` as the cause of every change it records, whatever code records it:
 * the entry point knows why things change (a request with its key, a Stripe event, the
 * reconciliation job), the repositories that write the changes do not. Kept beside the request
 * id the logs carry, and read the same way.
 */
export function withEventCause<T>(cause: EventCause, work: () => T): T {
  return causes.run(cause, work);
}

/** The cause of a change recorded now: the one set by the entry point, or the request being served. */
export function currentEventCause(): EventCause {
  const cause = causes.getStore();
  if (cause) return cause;
  const requestId = currentRequestIdValue();
  return requestId === undefined ? { kind: 'request' } : { kind: 'request', requestId };
}

/** The cause of changes a client's request makes, named by its request id and Idempotency-Key. */
export function requestCause(idempotencyKey: string): EventCause {
  const requestId = currentRequestIdValue();
  return { kind: 'request', ...(requestId === undefined ? {} : { requestId }), idempotencyKey };
}
