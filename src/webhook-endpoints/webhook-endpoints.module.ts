import { DynamicModule, Module, Provider } from '@nestjs/common';
import { AppConfig } from '../config/app-config';
import { EventsModule } from '../events';
import { IdempotencyModule } from '../idempotency';
import { SchedulingModule } from '../scheduling';
import { DeliveryAttempts } from './delivery-attempts';
import { EventResendController } from './event-resend.controller';
import { HostResolver } from './host-resolver';
import { OutgoingWebhookSweeper } from './outgoing-webhook.sweeper';
import { TenantWebhookProcessor } from './tenant-webhook.processor';
import { WebhookDeliveriesService } from './webhook-deliveries.service';
import { WebhookDeliveryMetrics, webhookDeliveryMetricProviders } from './webhook-delivery.metrics';
import { WebhookDeliveryRepository } from './webhook-delivery.repository';
import { WebhookEndpointRepository } from './webhook-endpoint.repository';
import { WebhookEndpointsController } from './webhook-endpoints.controller';
import { WebhookEndpointsService } from './webhook-endpoints.service';
import { WebhookSender } from './webhook-sender';
import { WebhookUrlPolicy } from './webhook-url.policy';

/**
 * Routes in every process; the processor and sweepers only where `WORKER_MODE` is `worker` or `all`
 * (docs/design/tenant-events.md).
 */
@Module({})
export class WebhookEndpointsModule {
  static forRoot(config: AppConfig): DynamicModule {
    const workers: Provider[] = config.runsWorkers ? [TenantWebhookProcessor, OutgoingWebhookSweeper] : [];
    return {
      module: WebhookEndpointsModule,
      imports: [EventsModule, IdempotencyModule, SchedulingModule],
      controllers: [WebhookEndpointsController, EventResendController],
      providers: [
        HostResolver,
        WebhookUrlPolicy,
        WebhookSender,
        WebhookEndpointRepository,
        WebhookDeliveryRepository,
        WebhookEndpointsService,
        WebhookDeliveriesService,
        DeliveryAttempts,
        ...webhookDeliveryMetricProviders,
        WebhookDeliveryMetrics,
        ...workers,
      ],
      exports: [WebhookDeliveriesService],
    };
  }
}
