import { Injectable, Logger } from '@nestjs/common';
import { AppConfig } from '../config/app-config';
import { TransactionRunner } from '../database/transaction-runner';
import { EventsService } from '../events';
import { retryDelayMs } from './delivery-schedule';
import { WebhookDeliveryMetrics } from './webhook-delivery.metrics';
import { ClaimedDelivery, WebhookDeliveryRepository } from './webhook-delivery.repository';
import { WebhookEndpointRepository } from './webhook-endpoint.repository';
import { WebhookEndpointsService } from './webhook-endpoints.service';
import { WebhookSender } from './webhook-sender';
import { webhookHeaders } from './webhook-signature';

/** How far past the receiver's timeout a claimed attempt may run before another worker may take the delivery. */
const LEASE_MARGIN_MS = 15000;

/**
 * The claim counts the attempt and keeps the delivery from coming due until its lease ends, so a worker
 * killed mid-attempt leaves it to be attempted again: delivered at least once, nothing lost.
 */
@Injectable()
export class DeliveryAttempts {
  private readonly logger = new Logger(DeliveryAttempts.name);

  constructor(
    private readonly config: AppConfig,
    private readonly deliveries: WebhookDeliveryRepository,
    private readonly endpointRows: WebhookEndpointRepository,
    private readonly endpoints: WebhookEndpointsService,
    private readonly events: EventsService,
    private readonly sender: WebhookSender,
    private readonly transactions: TransactionRunner,
    private readonly metrics: WebhookDeliveryMetrics,
  ) {}

  async attempt(deliveryId: string): Promise<void> {
    const leaseMs = this.config.outgoingWebhooks.timeoutMs + LEASE_MARGIN_MS;
    const delivery = await this.deliveries.claim(deliveryId, leaseMs);
    if (!delivery) return;
    const [event, target] = await Promise.all([
      this.events.findForDelivery(delivery.eventId),
      this.endpointRows.targetOf(delivery.endpointId),
    ]);
    if (!event || !target || target.disabled) {
      await this.transactions.run((transaction) =>
        this.deliveries.settleUnattempted(
          transaction,
          delivery.id,
          delivery.attempts,
          target?.disabled ? 'Not attempted: the endpoint is disabled' : 'Not attempted: the event is gone',
        ),
      );
      return;
    }
    const body = JSON.stringify(event);
    const outcome = await this.sender.send(target.url, webhookHeaders(target.secrets, event.id, body), body);
    const status = await this.transactions.run(async (transaction) => {
      const settled = await this.deliveries.finishAttempt(transaction, {
        id: delivery.id,
        attempt: delivery.attempts,
        ...outcome,
        retryDelayMs: retryDelayMs(delivery.roundAttempts),
      });
      if (settled === undefined) return undefined;
      if (outcome.ok) await this.endpointRows.markHealthy(transaction, delivery.endpointId);
      else await this.endpointRows.markFailing(transaction, delivery.endpointId);
      return settled;
    });
    this.report(delivery, event.type, status, outcome);
    if (!outcome.ok) await this.endpoints.disableIfFailing(delivery.endpointId);
  }

  private report(
    delivery: ClaimedDelivery,
    eventType: string,
    status: string | undefined,
    outcome: { ok: boolean; statusCode: number | null; durationMs: number; error: string | null },
  ): void {
    const outcomeLabel = outcome.ok ? 'succeeded' : status === 'failed' ? 'failed' : 'retrying';
    this.metrics.attempted(outcomeLabel, outcome.durationMs);
    const fields = {
      deliveryId: delivery.id,
      eventId: delivery.eventId,
      endpointId: delivery.endpointId,
      eventType,
      attempt: delivery.attempts,
      statusCode: outcome.statusCode,
      durationMs: outcome.durationMs,
    };
    if (outcome.ok) this.logger.log(fields, 'Webhook delivered');
    else if (status === 'failed')
      this.logger.warn({ ...fields, error: outcome.error }, 'Webhook delivery failed for good');
    else this.logger.log({ ...fields, error: outcome.error }, 'Webhook delivery attempt failed; retrying');
  }
}
