import { BullModule } from '@nestjs/bull';
import { Module, OnApplicationShutdown } from '@nestjs/common';
import { InjectQueue } from '@nestjs/bull';
import type { Queue } from 'bull';
import { AppConfig } from '../config/app-config';
import { bullQueueOptions } from '../redis/bull-queue-options';
import { EventOutbox } from './event-outbox';
import { EventRepository } from './event.repository';
import { EventsController } from './events.controller';
import { EventsService } from './events.service';
import { TENANT_WEBHOOK_QUEUE, TenantWebhookQueue } from './tenant-webhook.queue';

/** Same options as the Stripe webhook queue: this database's prefix, fail-fast commands. */
export const tenantWebhookQueueRegistration = BullModule.registerQueueAsync({
  name: TENANT_WEBHOOK_QUEUE,
  inject: [AppConfig],
  useFactory: bullQueueOptions,
});

/**
 * Tenant events (docs/design/tenant-events.md): the outbox the payments and refunds code records changes in
 * (`EventOutbox`), `GET /events`, and the queue outgoing webhooks run on. The endpoints and the
 * deliveries are the webhook-endpoints module's.
 */
@Module({
  imports: [tenantWebhookQueueRegistration],
  controllers: [EventsController],
  providers: [EventRepository, EventOutbox, EventsService, TenantWebhookQueue],
  exports: [EventOutbox, EventsService, TenantWebhookQueue, tenantWebhookQueueRegistration],
})
export class EventsModule implements OnApplicationShutdown {
  constructor(@InjectQueue(TENANT_WEBHOOK_QUEUE) private readonly queue: Queue) {}

  /**
   * After the hand-offs (a provider's hook runs before its module's): waits for the jobs in
   * flight, then stops. The connections are the webhooks module's to close (they are tracked with
   * the Stripe webhook queue's, which may still be enqueuing now).
   */
  async onApplicationShutdown(): Promise<void> {
    await this.queue.close().catch(() => undefined);
  }
}
