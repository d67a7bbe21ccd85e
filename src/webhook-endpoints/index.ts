export { WebhookDeliveriesService } from './webhook-deliveries.service';
export { WebhookEndpointsModule } from './webhook-endpoints.module';
export { TENANT_EVENT_WEBHOOK } from './webhook-delivery.openapi';
