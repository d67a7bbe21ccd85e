import { AsyncLocalStorage } from 'node:async_hooks';
import { currentRequestIdValue } from '../common/logging/access-log';
import type { EventCause } from './event-types';

const causes = new AsyncLocalStorage<EventCause>();

/**
 * Sets the cause of every event recorded inside `work`: the entry point knows why things change, the
 * repositories that record the changes do not.
 */
export function withEventCause<T>(cause: EventCause, work: () => T): T {
  return causes.run(cause, work);
}

export function currentEventCause(): EventCause {
  const cause = causes.getStore();
  if (cause) return cause;
  const requestId = currentRequestIdValue();
  return requestId === undefined ? { kind: 'request' } : { kind: 'request', requestId };
}

export function requestCause(idempotencyKey: string): EventCause {
  const requestId = currentRequestIdValue();
  return { kind: 'request', ...(requestId === undefined ? {} : { requestId }), idempotencyKey };
}
