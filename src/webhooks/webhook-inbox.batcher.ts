import { Logger } from '@nestjs/common';
import DataLoader from 'dataloader';
import { isDatabaseUnavailableError } from '../common/errors/database-unavailable';
import type { WebhookInboxRepository } from './webhook-inbox.repository';
import { VerifiedEvent } from './webhook-signature.verifier';

/** Events per INSERT; a larger batch is split across statements. */
export const WEBHOOK_INBOX_BATCH_MAX = 200;

/** PostgreSQL refused the JSON itself: a data exception (class 22) or nesting past its stack (54001). */
function refusesContent(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && (code.startsWith('22') || code === '54001');
}

type Outcome = { stored: boolean } | { failed: unknown };

/**
 * Group commit: events arriving while an INSERT is in flight are stored together by the next one, so under
 * load the per-statement fsync does not bound how fast Stripe is acknowledged; with nothing in flight an
 * event is stored at once. A failed statement is retried one event at a time.
 */
export class WebhookInboxBatcher {
  private readonly logger = new Logger(WebhookInboxBatcher.name);
  private readonly loader: DataLoader<VerifiedEvent, Outcome>;
  private inFlight: Promise<unknown> | undefined;

  /** `onCommitted` gets each statement's new event ids before `store` resolves; it must not throw. */
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

  /** Resolves after the statement holding the event commits; false when its id was stored before. */
  async store(event: VerifiedEvent): Promise<boolean> {
    const outcome = await this.loader.load(event);
    // Failures come back as values: dataloader recognises errors by `instanceof Error`, which a socket error
    // from another realm (a test VM) fails.
    if ('failed' in outcome) throw outcome.failed;
    return outcome.stored;
  }

  /** When idle, dispatches after the requests already read this I/O phase have joined the batch. */
  private afterInFlight(dispatch: () => void): void {
    if (this.inFlight) void this.inFlight.then(dispatch);
    else setImmediate(dispatch);
  }

  private storeBatch(events: readonly VerifiedEvent[]): Promise<Outcome[]> {
    const run = this.insertOrRetryAlone(events);
    this.inFlight = run;
    // Registered before any batch waiting on `run` is dispatched, so it cannot clear that batch's mark.
    void run.finally(() => {
      if (this.inFlight === run) this.inFlight = undefined;
    });
    return run;
  }

  /** Never rejects: a failure is returned as the outcome of the events it concerns. */
  private async insertOrRetryAlone(events: readonly VerifiedEvent[]): Promise<Outcome[]> {
    const distinct = [...new Map(events.map((event) => [event.id, event])).values()];
    const inserted = new Set<string>();
    const keptRaw = new Set<string>();
    const failures = new Map<string, unknown>();
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
      // With the database unreachable, retrying each event alone would fail the same way.
      if (isDatabaseUnavailableError(error)) return events.map(() => ({ failed: error }));
      if (distinct.length === 1) await storeAlone(distinct[0], error);
      else await Promise.all(distinct.map((event) => storeAlone(event)));
    }
    if (inserted.size > 0) this.onCommitted([...inserted]);
    // The first receipt of a new id is the one stored; other receipts of it in the batch are duplicates.
    return events.map((event) => {
      if (failures.has(event.id)) return { failed: failures.get(event.id) };
      return { stored: inserted.delete(event.id) || keptRaw.delete(event.id) };
    });
  }

  private insert(events: readonly VerifiedEvent[]): Promise<string[]> {
    return this.inbox.insertEvents(events);
  }

  private insertUnstorable(event: VerifiedEvent, refusal: unknown): Promise<string[]> {
    const reason = `Not stored as JSON: PostgreSQL refused it (${(refusal as Error).message})`;
    this.logger.warn({ eventId: event.id, type: event.type, reason }, 'Webhook event kept raw and dead');
    return this.inbox.insertUnstorable(event, reason);
  }
}
