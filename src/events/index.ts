export { EventsModule } from './events.module';
export { EventOutbox } from './event-outbox';
export { currentEventCause, requestCause, withEventCause } from './event-cause';
export type { PaymentGuard } from './event.repository';
export { EventsService } from './events.service';
export * from './event-types';
export { EventErrorCode } from './event.exception';
export {
  DELIVER_JOB,
  RELAY_JOB,
  TENANT_WEBHOOK_QUEUE,
  TenantWebhookQueue,
  type DeliverJob,
  type RelayJob,
} from './tenant-webhook.queue';
