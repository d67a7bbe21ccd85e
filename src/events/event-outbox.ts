import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { EventDraft } from './event-types';
import { EventRepository } from './event.repository';
import { RELAY_JOB, TenantWebhookQueue } from './tenant-webhook.queue';

/**
 * The outbox the payments and refunds code records its changes in (docs/design/tenant-events.md): an event is
 * written in the transaction of the change, so there is no change without its event and no event
 * without its change, and handed to the webhook workers once that transaction has committed.
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
  ) {}

  /**
   * Records `draft` in the caller's transaction, one statement; answers the event's id, to pass
   * to `relay` after the commit. Fails as the transaction's other statements fail.
   */
  async record(transaction: EntityManager, draft: EventDraft): Promise<string> {
    const id = randomUUID();
    await this.events.insert(transaction, {
      id,
      tenantId: draft.tenantId,
      paymentId: draft.paymentId,
      type: draft.type,
      previousStatus: draft.previousStatus,
      data: JSON.stringify({ object: draft.object, previousStatus: draft.previousStatus }),
      cause: draft.cause,
    });
    return id;
  }

  /**
   * Hands committed events to the webhook workers. Returns at once and never throws: the hand-off
   * runs in the background, bounded to a second, logged if Redis does not take it; an event it
   * misses is relayed by the sweeper (`OUTGOING_WEBHOOK_SWEEP_INTERVAL_SECONDS`). Never call it
   * before the commit: a worker would not see the event yet, and one rolled back is never relayed.
   */
  relay(eventIds: readonly string[]): void {
    void this.queue.handOff(
      eventIds.map((eventId) => ({ name: RELAY_JOB, data: { eventId }, jobId: `relay:${eventId}` })),
    );
  }
}
