// The webhook endpoints module's public entry: other modules import from here, never from its files.
export { WebhookDeliveriesService } from './webhook-deliveries.service';
export { WebhookEndpointsModule } from './webhook-endpoints.module';
