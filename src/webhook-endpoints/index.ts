export { WebhookDeliveriesService } from './webhook-deliveries.service';
export { WebhookEndpointsModule } from './webhook-endpoints.module';
