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
/** How long the events of concurrent requests gather before one job carries them. */
export const RELAY_WINDOW_MS = 10;

/**
 * Records each event in the transaction of its change and relays it after the commit
 * (docs/design/tenant-events.md). Record a payment's (and its refunds') events under the payment's row lock,
 * or in the transaction that creates it: the counter row alone makes sequence numbers unique and increasing
 * in commit order; the payment lock makes that the order of the changes, and nobody waits on the counter.
 */
@Injectable()
export class EventOutbox implements BeforeApplicationShutdown {
  private pending: string[] = [];
  private flushing: NodeJS.Timeout | undefined;
  private closing = false;

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
   * Returns at once and never throws. The events of `RELAY_WINDOW_MS` go to Redis as one job (at
   * most `RELAY_BATCH` each): one write per event was most of the relay's cost per payment
   * (docs/benchmarks.md). An event the bounded hand-off misses is left to the relay sweeper.
   */
  relay(eventIds: readonly string[]): void {
    this.pending.push(...eventIds);
    // Once shutting down, at once: the queue waits only for hand-offs already started.
    if (this.closing) this.flush();
    else this.flushing ??= setTimeout(() => this.flush(), RELAY_WINDOW_MS);
  }

  beforeApplicationShutdown(): void {
    this.closing = true;
    this.flush();
  }

  private flush(): void {
    clearTimeout(this.flushing);
    this.flushing = undefined;
    while (this.pending.length > 0) {
      const eventIds = this.pending.splice(0, RELAY_BATCH);
      void this.queue.handOff([{ name: RELAY_JOB, data: { eventIds }, jobId: `relay:${eventIds[0]}` }]);
    }
  }
}
