import { Command, CommandRunner, Option } from 'nest-commander';
import { EventsService } from '../events';
import { WebhookDeliveriesService, WebhookEndpointsModule } from '../webhook-endpoints';
import { CliServices } from './cli-services';
import { CliUsageError, printLines } from './cli-output';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

interface ResendOptions {
  endpoint?: string;
}

@Command({
  name: 'events:resend',
  arguments: '<eventId>',
  argsDescription: { eventId: 'the id of the tenant event to deliver again' },
  description:
    'deliver a tenant event again now, to one endpoint (--endpoint) or to every enabled endpoint of its tenant subscribed to its type',
})
export class EventsResendCommand extends CommandRunner {
  constructor(private readonly services: CliServices) {
    super();
  }

  async run([eventId]: string[], options: ResendOptions): Promise<void> {
    if (!UUID.test(eventId)) throw new CliUsageError(`events:resend: ${eventId} is not an event id (a UUID)`);
    const events = await this.services.get(EventsService);
    const tenantId = await events.tenantOf(eventId);
    if (!tenantId) throw new CliUsageError(`events:resend: no event ${eventId}`);
    const deliveries = await this.services.getFrom(
      (config) => WebhookEndpointsModule.forRoot(config),
      WebhookDeliveriesService,
    );
    const deliveryIds = await deliveries.resend(tenantId, eventId, options.endpoint);
    printLines(
      ...deliveryIds.map((id) => `delivery ${id} due now`),
      `events: ${eventId} queued for delivery to ${deliveryIds.length} endpoint(s)`,
    );
  }

  @Option({ flags: '--endpoint <id>', description: 'only to this endpoint (of the event’s tenant)' })
  parseEndpoint(value: string): string {
    if (!UUID.test(value))
      throw new CliUsageError(`--endpoint must be an endpoint id (a UUID), got "${value}"`);
    return value;
  }
}
