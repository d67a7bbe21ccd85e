import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { Page } from '../common/pagination/keyset-cursor';
import { EventErrorCode, EventException } from './event.exception';
import { TenantEvent } from './event-types';
import { EventQuery, EventRepository, RelayedEvent } from './event.repository';

export type { EventQuery, RelayedEvent };

@Injectable()
export class EventsService {
  constructor(private readonly events: EventRepository) {}

  list(query: EventQuery): Promise<Page<TenantEvent>> {
    return this.events.list(query);
  }

  /** Another tenant's event is the same 404 as an unknown one. */
  async get(tenantId: string, id: string): Promise<TenantEvent> {
    const event = await this.events.findForTenant(tenantId, id);
    if (!event) throw new EventException(EventErrorCode.EVENT_NOT_FOUND, 'Event not found');
    return event;
  }

  /** Across tenants, for the operator's CLI (`events:resend`). */
  tenantOf(id: string): Promise<string | undefined> {
    return this.events.tenantOf(id);
  }

  /** Across tenants; undefined once retention has deleted the event. */
  findForDelivery(id: string): Promise<TenantEvent | undefined> {
    return this.events.findById(id);
  }

  takeForRelay(transaction: EntityManager, ids: readonly string[]): Promise<RelayedEvent[]> {
    return this.events.takeForRelay(transaction, ids);
  }

  unrelayedIds(limit: number): Promise<string[]> {
    return this.events.unrelayedIds(limit);
  }

  oldestUnrelayedAt(): Promise<Date | null> {
    return this.events.oldestUnrelayedAt();
  }

  /** The events' deliveries go with them (ON DELETE CASCADE). */
  async deleteOlderThan(days: number, batchSize: number): Promise<number> {
    let deleted = 0;
    for (;;) {
      const affected = await this.events.deleteOlderThan(days, batchSize);
      deleted += affected;
      if (affected < batchSize) return deleted;
    }
  }
}
