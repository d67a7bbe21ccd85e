import { randomUUID } from 'node:crypto';
import { Injectable, Logger } from '@nestjs/common';
import { AppConfig } from '../config/app-config';
import { TransactionRunner } from '../database/transaction-runner';
import { ENDPOINT_DISABLED_EVENT, EventOutbox } from '../events';
import { DISABLE_AFTER_FAILING_MS, SECRET_OVERLAP_MS } from './delivery-schedule';
import { WebhookEndpointResponseDto } from './dto/webhook-endpoint-response.dto';
import { WebhookDeliveryRepository } from './webhook-delivery.repository';
import {
  endpointNotFound,
  WebhookEndpointErrorCode,
  WebhookEndpointException,
} from './webhook-endpoint.exception';
import { EndpointChanges, WebhookEndpoint, WebhookEndpointRepository } from './webhook-endpoint.repository';
import { newWebhookSecret } from './webhook-signature';
import { WebhookUrlPolicy } from './webhook-url.policy';

export type { EndpointChanges, WebhookEndpoint };

export type EndpointWithSecret = WebhookEndpoint & { secret: string; previousSecretExpiresAt?: Date };

/**
 * At most `WEBHOOK_ENDPOINTS_PER_TENANT` per tenant, URLs checked whenever saved, secrets rotated with a 24 h
 * overlap, disabled once every delivery has failed for five days (docs/design/tenant-events.md).
 */
@Injectable()
export class WebhookEndpointsService {
  private readonly logger = new Logger(WebhookEndpointsService.name);

  constructor(
    private readonly config: AppConfig,
    private readonly endpoints: WebhookEndpointRepository,
    private readonly deliveries: WebhookDeliveryRepository,
    private readonly policy: WebhookUrlPolicy,
    private readonly transactions: TransactionRunner,
    private readonly outbox: EventOutbox,
  ) {}

  async create(
    tenantId: string,
    fields: { url: string; enabledEvents: string[]; description?: string },
  ): Promise<EndpointWithSecret> {
    await this.policy.ensureAllowed(fields.url);
    const secret = newWebhookSecret();
    const limit = this.config.outgoingWebhooks.endpointsPerTenant;
    const endpoint = await this.transactions.run(async (transaction) => {
      // Two creations at once must not both see room for one more.
      await this.endpoints.lockTenant(transaction, tenantId);
      if ((await this.endpoints.countForTenant(transaction, tenantId)) >= limit) {
        throw new WebhookEndpointException(
          WebhookEndpointErrorCode.WEBHOOK_ENDPOINT_LIMIT_REACHED,
          `A tenant may have at most ${limit} webhook endpoints`,
          { limit },
        );
      }
      return this.endpoints.insert(transaction, {
        id: randomUUID(),
        tenantId,
        url: fields.url,
        description: fields.description || null,
        enabledEvents: [...new Set(fields.enabledEvents)],
        secret,
      });
    });
    return { ...endpoint, secret };
  }

  list(tenantId: string): Promise<WebhookEndpoint[]> {
    return this.endpoints.listForTenant(tenantId);
  }

  /** Another tenant's endpoint is the same 404 as an unknown one. */
  async get(tenantId: string, id: string): Promise<WebhookEndpoint> {
    const endpoint = await this.endpoints.findForTenant(tenantId, id);
    if (!endpoint) throw endpointNotFound();
    return endpoint;
  }

  /** Disabling fails the deliveries still pending. */
  async update(tenantId: string, id: string, changes: EndpointChanges): Promise<WebhookEndpoint> {
    if (changes.url !== undefined) await this.policy.ensureAllowed(changes.url);
    const enabledEvents = changes.enabledEvents && [...new Set(changes.enabledEvents)];
    const updated = await this.transactions.run(async (transaction) => {
      const endpoint = await this.endpoints.update(transaction, tenantId, id, { ...changes, enabledEvents });
      if (endpoint && changes.disabled) {
        await this.deliveries.failPendingOfEndpoint(
          transaction,
          id,
          'Not attempted: the endpoint is disabled',
        );
      }
      return endpoint;
    });
    if (!updated) throw endpointNotFound();
    return updated;
  }

  /** Its deliveries go with it (ON DELETE CASCADE). */
  async delete(tenantId: string, id: string): Promise<void> {
    if (!(await this.endpoints.delete(tenantId, id))) throw endpointNotFound();
  }

  async rotateSecret(tenantId: string, id: string): Promise<EndpointWithSecret> {
    const secret = newWebhookSecret();
    const endpoint = await this.endpoints.rotateSecret(tenantId, id, secret, SECRET_OVERLAP_MS);
    if (!endpoint) throw endpointNotFound();
    return { ...endpoint, secret };
  }

  /**
   * Records `webhook_endpoint.disabled` in the transaction that disables the endpoint. Returns true only for
   * the call that disabled it, so a worker and the sweeper racing record the event once.
   */
  async disableIfFailing(endpointId: string): Promise<boolean> {
    const recorded = await this.transactions.run(async (transaction) => {
      const endpoint = await this.endpoints.disableFailing(transaction, endpointId, DISABLE_AFTER_FAILING_MS);
      if (!endpoint) return undefined;
      await this.deliveries.failPendingOfEndpoint(
        transaction,
        endpointId,
        'Not attempted: the endpoint is disabled',
      );
      return this.outbox.record(transaction, {
        tenantId: endpoint.tenantId,
        paymentId: null,
        type: ENDPOINT_DISABLED_EVENT,
        object: WebhookEndpointResponseDto.from(endpoint),
        previousStatus: 'enabled',
        cause: { kind: 'delivery_failures' },
      });
    });
    if (!recorded) return false;
    this.logger.warn(
      { endpointId, eventId: recorded },
      'Webhook endpoint disabled: its deliveries failed for 5 days',
    );
    this.outbox.relay([recorded]);
    return true;
  }

  failingForTooLong(): Promise<string[]> {
    return this.endpoints.failingLongerThan(DISABLE_AFTER_FAILING_MS);
  }

  countDisabled(): Promise<number> {
    return this.endpoints.countDisabled();
  }
}
