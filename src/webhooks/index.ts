// The webhooks module's public entry: other modules import from here, never from its files.
export { WebhookInboxService } from './webhook-inbox.service';
export { STRIPE_WEBHOOK_QUEUE } from './webhooks.constants';
export { WebhooksModule } from './webhooks.module';
