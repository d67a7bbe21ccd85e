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

export const tenantWebhookQueueRegistration = BullModule.registerQueueAsync({
  name: TENANT_WEBHOOK_QUEUE,
  inject: [AppConfig],
  useFactory: bullQueueOptions,
});

/** Endpoints and deliveries belong to the webhook-endpoints module (docs/design/tenant-events.md). */
@Module({
  imports: [tenantWebhookQueueRegistration],
  controllers: [EventsController],
  providers: [EventRepository, EventOutbox, EventsService, TenantWebhookQueue],
  exports: [EventOutbox, EventsService, TenantWebhookQueue, tenantWebhookQueueRegistration],
})
export class EventsModule implements OnApplicationShutdown {
  constructor(@InjectQueue(TENANT_WEBHOOK_QUEUE) private readonly queue: Queue) {}

  /**
   * Runs after `TenantWebhookQueue`'s hook (a provider's runs before its module's), so hand-offs are done.
   * The webhooks module closes the Redis connections: the Stripe webhook queue may still be using them.
   */
  async onApplicationShutdown(): Promise<void> {
    await this.queue.close().catch(() => undefined);
  }
}
