import { Injectable, OnApplicationBootstrap } from '@nestjs/common';
import { AppConfig } from '../config/app-config';
import { ExclusiveJobRunner } from '../scheduling';
import { WebhookInboxService } from './webhook-inbox.service';
import { WEBHOOK_SWEEP_JOB } from './webhooks.constants';

/** Schedules the sweeper in `worker` and `all` processes; one pass runs at a time across all of them. */
@Injectable()
export class WebhookSweeper implements OnApplicationBootstrap {
  constructor(
    private readonly config: AppConfig,
    private readonly runner: ExclusiveJobRunner,
    private readonly inbox: WebhookInboxService,
  ) {}

  onApplicationBootstrap(): void {
    this.runner.schedule(WEBHOOK_SWEEP_JOB, this.config.webhooks.sweepIntervalSeconds, () =>
      this.inbox.sweepPending(),
    );
  }
}
