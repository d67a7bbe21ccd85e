import { randomUUID } from 'node:crypto';
import { BeforeApplicationShutdown, Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { TransactionRunner } from '../database/transaction-runner';
import { currentEventCause } from './event-cause';
import { EventDraft } from './event-types';
import { EventRepository, PaymentGuard } from './event.repository';
import { RELAY_JOB, TenantWebhookQueue } from './tenant-webhook.queue';

/** The most events one relay job carries: one transaction of the relay takes them all. */
export const RELAY_BATCH = 100;

/**
 * The outbox the payments and refunds code records its changes in (docs/design/tenant-events.md):
 * an event is written in the transaction of the change, so there is no change without its event
 * and no event without its change, and handed to the webhook workers once that transaction has
 * committed.
 *
 * The rule a caller keeps, for `sequence`: record a payment's events (and its refunds') while
 * holding that payment's row lock (`SELECT … FOR UPDATE` in the same transaction), or in the
 * transaction that creates the payment. Numbers come from a per-payment counter row, locked by
 * the insert until the commit, so they are unique and strictly increasing per payment in commit
 * order whatever the caller does; the payment's row lock makes that order the order the payment
 * changed in (and keeps anyone from waiting on the counter).
 */
@Injectable()
export class EventOutbox implements BeforeApplicationShutdown {
  private pending: string[] = [];

  constructor(
    private readonly events: EventRepository,
    private readonly queue: TenantWebhookQueue,
    private readonly transactions: TransactionRunner,
  ) {}

  /**
   * Records `draft` in the caller's transaction, one statement, and relays it once that
   * transaction has committed (never if it rolls back); answers the event's id. With `guard`, the
   * event is recorded only while the payment row is in that state (see `EventRepository.insert`).
   */
  async record(transaction: EntityManager, draft: EventDraft, guard?: PaymentGuard): Promise<string> {
    const id = randomUUID();
    await this.events.insert(
      transaction,
      {
        id,
        tenantId: draft.tenantId,
        paymentId: draft.paymentId,
        type: draft.type,
        previousStatus: draft.previousStatus,
        data: JSON.stringify({ object: draft.object, previousStatus: draft.previousStatus }),
        cause: draft.cause ?? currentEventCause(),
      },
      guard,
    );
    this.transactions.afterCommit(transaction, () => this.relay([id]));
    return id;
  }

  /**
   * Hands committed events to the webhook workers. Returns at once and never throws: the events
   * of one turn of the event loop go in one job (at most `RELAY_BATCH` each), handed to Redis in
   * the background, bounded to a second, logged if Redis does not take it; an event it misses (or
   * one guarded out) is left to the relay sweeper. Under load this is one Redis write for many
   * payments instead of one per event, which was most of the outbox's cost per payment
   * (docs/benchmarks.md).
   */
  relay(eventIds: readonly string[]): void {
    if (this.pending.length === 0) setImmediate(() => this.flush());
    this.pending.push(...eventIds);
  }

  beforeApplicationShutdown(): void {
    this.flush();
  }

  private flush(): void {
    while (this.pending.length > 0) {
      const eventIds = this.pending.splice(0, RELAY_BATCH);
      void this.queue.handOff([{ name: RELAY_JOB, data: { eventIds }, jobId: `relay:${eventIds[0]}` }]);
    }
  }
}
