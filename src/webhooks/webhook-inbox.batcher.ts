import DataLoader from 'dataloader';
import { DataSource } from 'typeorm';
import { isDatabaseUnavailableError } from '../common/errors/database-unavailable';
import { PreparedStatement, runPrepared } from '../database/prepared-statement';
import { VerifiedEvent } from './webhook-signature.verifier';

/** The most events one statement stores: past it, a second statement takes the rest. */
export const WEBHOOK_INBOX_BATCH_MAX = 200;

const INSERT_EVENTS: PreparedStatement = {
  name: 'webhook_inbox_insert_events',
  text: `INSERT INTO webhook_inbox (event_id, type, payload)
         SELECT event_id, type, payload
         FROM unnest($1::varchar[], $2::varchar[], $3::jsonb[]) AS batch (event_id, type, payload)
         ON CONFLICT (event_id) DO NOTHING RETURNING event_id`,
};

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
  private readonly loader: DataLoader<VerifiedEvent, Outcome>;
  /** The statement (or the retries alone of a failed one) being run; at most one is waited on. */
  private inFlight: Promise<unknown> | undefined;

  /**
   * `onCommitted` is told the ids of each committed statement's new events (none is a
   * duplicate), before the callers of `store` are answered; it must not throw.
   */
  constructor(
    private readonly dataSource: DataSource,
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
    const failures = new Map<string, unknown>();
    try {
      for (const eventId of await this.insert(distinct)) inserted.add(eventId);
    } catch (error) {
      // Unreachable database: every event would fail alone just the same.
      if (distinct.length === 1 || isDatabaseUnavailableError(error)) {
        return events.map(() => ({ failed: error }));
      }
      await Promise.all(
        distinct.map(async (event) => {
          try {
            for (const eventId of await this.insert([event])) inserted.add(eventId);
          } catch (alone) {
            failures.set(event.id, alone);
          }
        }),
      );
    }
    if (inserted.size > 0) this.onCommitted([...inserted]);
    // The first receipt of a new id is the one stored; any other receipt of it is a duplicate.
    return events.map((event) => {
      if (failures.has(event.id)) return { failed: failures.get(event.id) };
      return { stored: inserted.delete(event.id) };
    });
  }

  /** One statement, one commit; answers the ids it inserted. */
  private async insert(events: readonly VerifiedEvent[]): Promise<string[]> {
    const result = await runPrepared<{ event_id: string }>(this.dataSource.manager, INSERT_EVENTS, [
      events.map((event) => event.id),
      events.map((event) => event.type),
      events.map((event) => JSON.stringify(event.payload)),
    ]);
    return result.rows.map((row) => row.event_id);
  }
}
