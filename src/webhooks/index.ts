export { WebhookInboxService } from './webhook-inbox.service';
export { STRIPE_WEBHOOK_QUEUE } from './webhooks.constants';
export { WebhooksModule } from './webhooks.module';
