/**
 * The events module's public face: the outbox the payments and refunds code records its changes
 * in, the event types and drafts it records, and the module to import.
 */
export { EventsModule } from './events.module';
export { EventOutbox } from './event-outbox';
export { EventsService } from './events.service';
export * from './event-types';
