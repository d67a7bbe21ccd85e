import { Logger } from '@nestjs/common';
import DataLoader from 'dataloader';
import { isDatabaseUnavailableError } from '../common/errors/database-unavailable';
import type { WebhookInboxRepository } from './webhook-inbox.repository';
import { VerifiedEvent } from './webhook-signature.verifier';

/** The most events one statement stores: past it, a second statement takes the rest. */
export const WEBHOOK_INBOX_BATCH_MAX = 200;

/**
 * PostgreSQL refusing the event's JSON itself: a data exception (class 22: `\u0000` is 22P05, a
 * lone surrogate 22P02, a number past numeric's range 22003) or nesting past its stack (54001).
 * Anything else (a lost connection, a constraint) is not the event's content.
 */
function refusesContent(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && (code.startsWith('22') || code === '54001');
}

/** What became of one event: stored now, already stored before (a duplicate), or refused. */
type Outcome = { stored: boolean } | { failed: unknown };

/**
 * Group commit of webhook receipts. Each stored event costs a statement, a commit (an fsync)
 * and a socket write; under load those, not the work, bound how fast Stripe is acknowledged.
 * So events arriving while a statement is in flight wait for it and are stored together by the
 * next one, a single multi-row INSERT (autocommit: one statement, one commit). When nothing is
 * in flight an event is sent at once, so an idle service adds no latency.
 *
 * `dataloader` does the batching (cache off: every receipt is stored, none answered from
 * memory); its schedule is what makes this group commit rather than a per-tick batch: a batch
 * is dispatched only once the statement before it has finished.
 *
 * A statement that fails is retried one event at a time, so an event the database refuses
 * fails alone and the others of its batch are still stored. `store` resolves only after the
 * statement that holds its event has committed.
 */
export class WebhookInboxBatcher {
  private readonly logger = new Logger(WebhookInboxBatcher.name);
  private readonly loader: DataLoader<VerifiedEvent, Outcome>;
  /** The statement (or the retries alone of a failed one) being run; at most one is waited on. */
  private inFlight: Promise<unknown> | undefined;

  /**
   * `onCommitted` is told the ids of each committed statement's new events (none is a
   * duplicate), before the callers of `store` are answered; it must not throw.
   */
  constructor(
    private readonly inbox: WebhookInboxRepository,
    private readonly onCommitted: (eventIds: string[]) => void,
    maxBatchSize = WEBHOOK_INBOX_BATCH_MAX,
  ) {
    this.loader = new DataLoader((events) => this.storeBatch(events), {
      cache: false,
      maxBatchSize,
      batchScheduleFn: (dispatch) => this.afterInFlight(dispatch),
    });
  }

  /**
   * Stores `event` once; answers false when an event with its id was stored before (by an
   * earlier statement or earlier in the same one). Throws what the database threw for it.
   */
  async store(event: VerifiedEvent): Promise<boolean> {
    const outcome = await this.loader.load(event);
    // Failures come back as values, not rejections: dataloader tells an error by `instanceof
    // Error`, which a socket error from another realm (a test VM) would not pass.
    if ('failed' in outcome) throw outcome.failed;
    return outcome.stored;
  }

  /**
   * Idle, a batch goes once the requests already read from their sockets have reached it (the
   * end of the event loop's I/O phase): no timer, no added wait. Busy, it goes when the
   * statement in flight ends.
   */
  private afterInFlight(dispatch: () => void): void {
    if (this.inFlight) void this.inFlight.then(dispatch);
    else setImmediate(dispatch);
  }

  private storeBatch(events: readonly VerifiedEvent[]): Promise<Outcome[]> {
    const run = this.insertOrRetryAlone(events);
    this.inFlight = run;
    // Registered before any batch waiting on `run` is dispatched, so that one's mark stays.
    void run.finally(() => {
      if (this.inFlight === run) this.inFlight = undefined;
    });
    return run;
  }

  /** Never rejects: a failure is the outcome of the events it concerns. */
  private async insertOrRetryAlone(events: readonly VerifiedEvent[]): Promise<Outcome[]> {
    const distinct = [...new Map(events.map((event) => [event.id, event])).values()];
    const inserted = new Set<string>();
    /** Stored, but dead: nothing to enqueue. */
    const keptRaw = new Set<string>();
    const failures = new Map<string, unknown>();
    // One event on its own: stored, kept raw when PostgreSQL refuses its content, or failed.
    const storeAlone = async (event: VerifiedEvent, refusal?: unknown) => {
      if (refusal === undefined) {
        try {
          for (const eventId of await this.insert([event])) inserted.add(eventId);
          return;
        } catch (error) {
          refusal = error;
        }
      }
      try {
        if (!refusesContent(refusal)) throw refusal;
        for (const eventId of await this.insertUnstorable(event, refusal)) keptRaw.add(eventId);
      } catch (error) {
        failures.set(event.id, error);
      }
    };
    try {
      for (const eventId of await this.insert(distinct)) inserted.add(eventId);
    } catch (error) {
      // Unreachable database: every event would fail alone just the same.
      if (isDatabaseUnavailableError(error)) return events.map(() => ({ failed: error }));
      if (distinct.length === 1) await storeAlone(distinct[0], error);
      else await Promise.all(distinct.map((event) => storeAlone(event)));
    }
    if (inserted.size > 0) this.onCommitted([...inserted]);
    // The first receipt of a new id is the one stored; any other receipt of it is a duplicate.
    return events.map((event) => {
      if (failures.has(event.id)) return { failed: failures.get(event.id) };
      return { stored: inserted.delete(event.id) || keptRaw.delete(event.id) };
    });
  }

  /** One statement, one commit; answers the ids it inserted. */
  private insert(events: readonly VerifiedEvent[]): Promise<string[]> {
    return this.inbox.insertEvents(events);
  }

  private insertUnstorable(event: VerifiedEvent, refusal: unknown): Promise<string[]> {
    const reason = `Not stored as JSON: PostgreSQL refused it (${(refusal as Error).message})`;
    this.logger.warn({ eventId: event.id, type: event.type, reason }, 'Webhook event kept raw and dead');
    return this.inbox.insertUnstorable(event, reason);
  }
}
