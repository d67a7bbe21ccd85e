import { Process, Processor } from '@nestjs/bull';
import type { Job } from 'bull';
import { DELIVER_JOB, DeliverJob, RELAY_JOB, RelayJob, TENANT_WEBHOOK_QUEUE } from '../events';
import { DeliveryAttempts } from './delivery-attempts';
import { WebhookDeliveriesService } from './webhook-deliveries.service';

/** Attempts run in parallel: each mostly waits on a receiver, for up to OUTGOING_WEBHOOK_TIMEOUT_MS. */
const DELIVERY_CONCURRENCY = 8;

/**
 * A job only names rows, and the rows say whether work is left, so a job run twice does nothing the second
 * time. Errors are rethrown: the job fails and the sweepers hand the work over again.
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
