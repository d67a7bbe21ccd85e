import { randomUUID } from 'node:crypto';
import { Injectable, Logger } from '@nestjs/common';
import { Page } from '../common/pagination/keyset-cursor';
import { TransactionRunner } from '../database/transaction-runner';
import { DELIVER_JOB, EventsService, subscribes, TenantWebhookQueue } from '../events';
import { ExclusiveJobRunner } from '../scheduling';
import { DELIVERY_HORIZON_MS } from './delivery-schedule';
import {
  DeliveryStatus,
  DueDelivery,
  WebhookDelivery,
  WebhookDeliveryRepository,
} from './webhook-delivery.repository';
import { WebhookEndpointErrorCode, WebhookEndpointException } from './webhook-endpoint.exception';
import { WebhookEndpointRepository } from './webhook-endpoint.repository';
import { WebhookEndpointsService } from './webhook-endpoints.service';

const SWEEP_BATCH = 500;

export const RELAY_SWEEP_JOB = 'events.relay-sweep';
export const DELIVERY_SWEEP_JOB = 'webhook-deliveries.sweep';

/**
 * PostgreSQL holds what is left to deliver; Bull only carries it to a worker, and the sweepers hand over
 * again whatever Bull never got or lost.
 */
@Injectable()
export class WebhookDeliveriesService {
  private readonly logger = new Logger(WebhookDeliveriesService.name);

  constructor(
    private readonly deliveries: WebhookDeliveryRepository,
    private readonly endpointRows: WebhookEndpointRepository,
    private readonly endpoints: WebhookEndpointsService,
    private readonly events: EventsService,
    private readonly transactions: TransactionRunner,
    private readonly queue: TenantWebhookQueue,
    private readonly runner: ExclusiveJobRunner,
  ) {}

  /**
   * Marks events relayed and creates their deliveries in one transaction. An event already relayed, or held
   * by another relay, is skipped; one rolled back was never committed and is not found.
   */
  async relay(eventIds: readonly string[]): Promise<number> {
    const due = await this.transactions.run(async (transaction) => {
      const events = await this.events.takeForRelay(transaction, eventIds);
      if (events.length === 0) return [];
      const tenants = [...new Set(events.map((event) => event.tenantId))];
      const endpoints = await this.endpointRows.listForTenants(transaction, tenants);
      const deliveries = events.flatMap((event) =>
        endpoints
          .filter(
            (endpoint) =>
              endpoint.tenantId === event.tenantId && subscribes(endpoint.enabledEvents, event.type),
          )
          .map((endpoint) => ({
            id: randomUUID(),
            tenantId: event.tenantId,
            eventId: event.id,
            endpointId: endpoint.id,
            eventType: event.type,
            eventCreatedAt: event.createdAt,
            endpointDisabled: endpoint.disabledAt !== null,
          })),
      );
      return this.deliveries.insertMany(transaction, deliveries, DELIVERY_HORIZON_MS);
    });
    await this.handOff(due);
    return due.length;
  }

  /** Each delivery starts a new round of attempts, for 3 days from now. */
  async resend(tenantId: string, eventId: string, endpointId?: string): Promise<string[]> {
    const event = await this.events.get(tenantId, eventId);
    let targets: string[];
    if (endpointId) {
      this.ensureEnabled(await this.endpoints.get(tenantId, endpointId));
      targets = [endpointId];
    } else {
      targets = (await this.endpoints.list(tenantId))
        .filter((endpoint) => !endpoint.disabledAt && subscribes(endpoint.enabledEvents, event.type))
        .map((endpoint) => endpoint.id);
    }
    const due = await this.transactions.run((transaction) =>
      this.deliveries.restartForEvent(
        transaction,
        { id: event.id, tenantId, type: event.type, createdAt: new Date(event.createdAt) },
        targets,
        DELIVERY_HORIZON_MS,
      ),
    );
    await this.handOff(due);
    return due.map((delivery) => delivery.id);
  }

  async recover(tenantId: string, endpointId: string, since: Date): Promise<string[]> {
    this.ensureEnabled(await this.endpoints.get(tenantId, endpointId));
    const due = await this.transactions.run((transaction) =>
      this.deliveries.restartFailed(transaction, endpointId, since, DELIVERY_HORIZON_MS),
    );
    await this.handOff(due);
    return due.map((delivery) => delivery.id);
  }

  async list(
    tenantId: string,
    endpointId: string,
    query: { status?: DeliveryStatus; limit: number; cursor?: string },
  ): Promise<Page<WebhookDelivery>> {
    await this.endpoints.get(tenantId, endpointId);
    return this.deliveries.listForEndpoint({ endpointId, ...query });
  }

  async sweepUnrelayed(): Promise<number> {
    const run = await this.runner.run(RELAY_SWEEP_JOB, async () => {
      const ids = await this.events.unrelayedIds(SWEEP_BATCH);
      return ids.length === 0 ? 0 : this.relay(ids);
    });
    if (run.ran && run.result > 0)
      this.logger.log({ deliveries: run.result }, 'Relayed events the relay missed');
    return run.ran ? run.result : 0;
  }

  /**
   * Due deliveries include retries, those whose job Bull lost and those whose worker died mid-attempt. Also
   * disables the endpoints whose deliveries have all failed for five days.
   */
  async sweepDue(): Promise<number> {
    const run = await this.runner.run(DELIVERY_SWEEP_JOB, async () => {
      for (const endpointId of await this.endpoints.failingForTooLong()) {
        await this.endpoints.disableIfFailing(endpointId);
      }
      const due = await this.deliveries.due(SWEEP_BATCH);
      await this.handOff(due);
      return due.length;
    });
    return run.ran ? run.result : 0;
  }

  /** Bull keeps one job per id: a delivery already waiting for the same attempt is not added twice. */
  private handOff(due: DueDelivery[]): Promise<boolean> {
    return this.queue.handOff(
      due.map((delivery) => ({
        name: DELIVER_JOB,
        data: { deliveryId: delivery.id },
        jobId: `deliver:${delivery.id}:${delivery.attempts}`,
      })),
    );
  }

  private ensureEnabled(endpoint: { disabledAt: Date | null }): void {
    if (endpoint.disabledAt) {
      throw new WebhookEndpointException(
        WebhookEndpointErrorCode.WEBHOOK_ENDPOINT_DISABLED,
        'The endpoint is disabled: enable it first (PATCH {"disabled": false})',
      );
    }
  }
}
