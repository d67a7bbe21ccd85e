import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { Page } from '../common/pagination/keyset-cursor';
import { EventErrorCode, EventException } from './event.exception';
import { TenantEvent } from './event-types';
import { EventQuery, EventRepository, RelayedEvent } from './event.repository';

export type { EventQuery, RelayedEvent };

/** Reading the outbox: the tenant's events, and what the relay and the cleanup need of it. */
@Injectable()
export class EventsService {
  constructor(private readonly events: EventRepository) {}

  list(query: EventQuery): Promise<Page<TenantEvent>> {
    return this.events.list(query);
  }

  /** The tenant's event; another tenant's is the same 404 as an unknown one. */
  async get(tenantId: string, id: string): Promise<TenantEvent> {
    const event = await this.events.findForTenant(tenantId, id);
    if (!event) throw new EventException(EventErrorCode.EVENT_NOT_FOUND, 'Event not found');
    return event;
  }

  /** The tenant an event belongs to, whoever asks (operators' tools); undefined when there is none. */
  tenantOf(id: string): Promise<string | undefined> {
    return this.events.tenantOf(id);
  }

  /** The event as delivered, whatever its tenant; undefined once deleted. */
  findForDelivery(id: string): Promise<TenantEvent | undefined> {
    return this.events.findById(id);
  }

  /** Marks relayed, in `transaction`, those of `ids` nobody has relayed; answers them. */
  takeForRelay(transaction: EntityManager, ids: readonly string[]): Promise<RelayedEvent[]> {
    return this.events.takeForRelay(transaction, ids);
  }

  unrelayedIds(limit: number): Promise<string[]> {
    return this.events.unrelayedIds(limit);
  }

  oldestUnrelayedAt(): Promise<Date | null> {
    return this.events.oldestUnrelayedAt();
  }

  /** Deletes events older than `days` in batches, their deliveries with them; answers how many. */
  async deleteOlderThan(days: number, batchSize: number): Promise<number> {
    let deleted = 0;
    for (;;) {
      const affected = await this.events.deleteOlderThan(days, batchSize);
      deleted += affected;
      if (affected < batchSize) return deleted;
    }
  }
}
