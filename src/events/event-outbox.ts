import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { TransactionRunner } from '../database/transaction-runner';
import { currentEventCause } from './event-cause';
import { EventDraft } from './event-types';
import { EventRepository, PaymentGuard } from './event.repository';
import { RELAY_JOB, TenantWebhookQueue } from './tenant-webhook.queue';

/**
 * Records each event in the transaction of its change and relays it after the commit
 * (docs/design/tenant-events.md). Record a payment's (and its refunds') events under the payment's row lock,
 * or in the transaction that creates it: the counter row alone makes sequence numbers unique and increasing
 * in commit order; the payment lock makes that the order of the changes, and nobody waits on the counter.
 */
@Injectable()
export class EventOutbox {
  constructor(
    private readonly events: EventRepository,
    private readonly queue: TenantWebhookQueue,
    private readonly transactions: TransactionRunner,
  ) {}

  /** Relays the event only once the caller's transaction commits, never on rollback. */
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
