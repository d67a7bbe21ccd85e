import { BullModule, InjectQueue } from '@nestjs/bull';
import { DynamicModule, Module, OnApplicationShutdown, Provider } from '@nestjs/common';
import type { Queue } from 'bull';
import { TypeOrmModule } from '@nestjs/typeorm';
import { AppConfig } from '../config/app-config';
import { PaymentsModule } from '../payments';
import { RefundsModule } from '../refunds';
import { SchedulingModule } from '../scheduling';
import { StripeModule } from '../stripe';
import { AdminWebhooksController } from './admin-webhooks.controller';
import { PaymentEventSequence } from './entities/payment-event-sequence.entity';
import { WebhookInbox } from './entities/webhook-inbox.entity';
import { PaymentEventSequenceService } from './payment-event-sequence.service';
import { StripeEventDispatcher } from './stripe-event.dispatcher';
import { StripeWebhookProcessor } from './stripe-webhook.processor';
import { StripeWebhooksController } from './stripe-webhooks.controller';
import { bullQueueOptions, closeBullQueueConnections } from '../redis/bull-queue-options';
import { WebhookInboxRepository } from './webhook-inbox.repository';
import { WebhookInboxService } from './webhook-inbox.service';
import { WebhookJobQueue } from './webhook-job-queue';
import { WebhookInboxMetrics, webhookInboxMetricProviders } from './webhook-inbox.metrics';
import { WebhookSignatureVerifier } from './webhook-signature.verifier';
import { WebhookSweeper } from './webhook.sweeper';
import { STRIPE_WEBHOOK_QUEUE } from './webhooks.constants';

/** Stripe webhooks (docs/design/webhooks.md); only `worker` and `all` processes run the workers. */
@Module({})
export class WebhooksModule implements OnApplicationShutdown {
  constructor(
    private readonly config: AppConfig,
    @InjectQueue(STRIPE_WEBHOOK_QUEUE) private readonly queue: Queue,
  ) {}

  async onApplicationShutdown(): Promise<void> {
    await this.queue.close().catch(() => undefined);
    closeBullQueueConnections(this.config);
  }

  static forRoot(config: AppConfig): DynamicModule {
    const workers: Provider[] = config.runsWorkers ? [StripeWebhookProcessor, WebhookSweeper] : [];
    return {
      module: WebhooksModule,
      imports: [
        TypeOrmModule.forFeature([WebhookInbox, PaymentEventSequence]),
        BullModule.registerQueueAsync({
          name: STRIPE_WEBHOOK_QUEUE,
          inject: [AppConfig],
          useFactory: bullQueueOptions,
        }),
        PaymentsModule,
        RefundsModule,
        SchedulingModule,
        StripeModule,
      ],
      controllers: [StripeWebhooksController, AdminWebhooksController],
      providers: [
        WebhookSignatureVerifier,
        WebhookInboxRepository,
        WebhookJobQueue,
        WebhookInboxService,
        ...webhookInboxMetricProviders,
        WebhookInboxMetrics,
        PaymentEventSequenceService,
        StripeEventDispatcher,
        ...workers,
      ],
      exports: [WebhookInboxService],
    };
  }
}
