import { Injectable, OnApplicationBootstrap } from '@nestjs/common';
import { AppConfig } from '../config/app-config';
import { ExclusiveJobRunner } from '../scheduling';
import { DELIVERY_SWEEP_JOB, RELAY_SWEEP_JOB, WebhookDeliveriesService } from './webhook-deliveries.service';

/**
 * The two passes that make PostgreSQL the record of outgoing webhooks: relaying committed events not yet
 * relayed, and handing due deliveries to the workers. Each runs in one process at a time.
 */
@Injectable()
export class OutgoingWebhookSweeper implements OnApplicationBootstrap {
  constructor(
    private readonly config: AppConfig,
    private readonly runner: ExclusiveJobRunner,
    private readonly deliveries: WebhookDeliveriesService,
  ) {}

  onApplicationBootstrap(): void {
    const everySeconds = this.config.outgoingWebhooks.sweepIntervalSeconds;
    this.runner.schedule(RELAY_SWEEP_JOB, everySeconds, () => this.deliveries.sweepUnrelayed());
    this.runner.schedule(DELIVERY_SWEEP_JOB, everySeconds, () => this.deliveries.sweepDue());
  }
}
