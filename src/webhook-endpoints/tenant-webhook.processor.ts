import { Process, Processor } from '@nestjs/bull';
import type { Job } from 'bull';
import { DELIVER_JOB, DeliverJob, RELAY_JOB, RelayJob, TENANT_WEBHOOK_QUEUE } from '../events';
import { DeliveryAttempts } from './delivery-attempts';
import { WebhookDeliveriesService } from './webhook-deliveries.service';

/** Attempts run in parallel: each mostly waits on a receiver, for up to OUTGOING_WEBHOOK_TIMEOUT_MS. */
const DELIVERY_CONCURRENCY = 8;

/**
 * The outgoing webhooks' worker, in `worker` and `all` processes only. A job only names a row;
 * the row says whether there is still work (an event relayed already, a delivery not due), so a
 * job run twice does nothing the second time. An error (the database away) is rethrown: the job
 * ends failed and the sweepers hand the work over again once it can be done.
 */
@Processor(TENANT_WEBHOOK_QUEUE)
export class TenantWebhookProcessor {
  constructor(
    private readonly deliveries: WebhookDeliveriesService,
    private readonly attempts: DeliveryAttempts,
  ) {}

  @Process({ name: RELAY_JOB, concurrency: 2 })
  async relay(job: Job<RelayJob>): Promise<void> {
    await this.deliveries.relay(job.data.eventIds);
  }

  @Process({ name: DELIVER_JOB, concurrency: DELIVERY_CONCURRENCY })
  async deliver(job: Job<DeliverJob>): Promise<void> {
    await this.attempts.attempt(job.data.deliveryId);
  }
}
