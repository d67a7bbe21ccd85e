import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { TransactionRunner } from '../database/transaction-runner';
import { currentEventCause } from './event-cause';
import { EventDraft } from './event-types';
import { EventRepository, PaymentGuard } from './event.repository';
import { RELAY_JOB, TenantWebhookQueue } from './tenant-webhook.queue';

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
export class EventOutbox {
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
   * Hands committed events to the webhook workers. Returns at once and never throws: the hand-off
   * runs in the background, bounded to a second, logged if Redis does not take it; an event it
   * misses (or one guarded out) is left to the relay sweeper. `record` calls it after the commit.
   */
  relay(eventIds: readonly string[]): void {
    void this.queue.handOff(
      eventIds.map((eventId) => ({ name: RELAY_JOB, data: { eventId }, jobId: `relay:${eventId}` })),
    );
  }
}
