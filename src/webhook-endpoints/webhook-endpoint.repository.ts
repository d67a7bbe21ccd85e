import { Injectable } from '@nestjs/common';
import { InjectEntityManager } from '@nestjs/typeorm';
import { EntityManager } from 'typeorm';

export const DISABLED_REASONS = ['manual', 'failing'] as const;
export type DisabledReason = (typeof DISABLED_REASONS)[number];

/** Without the secrets: they are read apart, for signing only. */
export interface WebhookEndpoint {
  id: string;
  tenantId: string;
  url: string;
  description: string | null;
  enabledEvents: string[];
  disabledAt: Date | null;
  disabledReason: DisabledReason | null;
  /** When the run of failed deliveries began; null after a success. */
  failingSince: Date | null;
  createdAt: Date;
  updatedAt: Date;
}

/** `secrets` includes the previous secret while its overlap after a rotation lasts. */
export interface EndpointTarget {
  url: string;
  secrets: string[];
  disabled: boolean;
}

export interface EndpointChanges {
  url?: string;
  enabledEvents?: string[];
  /** An empty string clears it. */
  description?: string;
  disabled?: boolean;
}

interface EndpointRow {
  id: string;
  tenant_id: string;
  url: string;
  description: string | null;
  enabled_events: string[];
  disabled_at: Date | null;
  disabled_reason: DisabledReason | null;
  failing_since: Date | null;
  created_at: Date;
  updated_at: Date;
}

const COLUMNS = `id, tenant_id, url, description, enabled_events, disabled_at, disabled_reason, failing_since,
  created_at, updated_at`;

// Keeps this table's per-tenant advisory locks apart from the service's other advisory locks.
const ENDPOINT_LOCK_NAMESPACE = 736_195;

@Injectable()
export class WebhookEndpointRepository {
  constructor(@InjectEntityManager() private readonly manager: EntityManager) {}

  /** Held until `transaction` ends, so one tenant's creations are serialised and the cap holds. */
  async lockTenant(transaction: EntityManager, tenantId: string): Promise<void> {
    await transaction.query('SELECT pg_advisory_xact_lock($1, hashtext($2))', [
      ENDPOINT_LOCK_NAMESPACE,
      tenantId,
    ]);
  }

  async countForTenant(transaction: EntityManager, tenantId: string): Promise<number> {
    const [row] = await transaction.query<Array<{ count: number }>>(
      'SELECT count(*)::int AS count FROM webhook_endpoints WHERE tenant_id = $1',
      [tenantId],
    );
    return row.count;
  }

  async insert(
    transaction: EntityManager,
    endpoint: Pick<WebhookEndpoint, 'id' | 'tenantId' | 'url' | 'description' | 'enabledEvents'> & {
      secret: string;
    },
  ): Promise<WebhookEndpoint> {
    const [row] = await transaction.query<EndpointRow[]>(
      `INSERT INTO webhook_endpoints (id, tenant_id, url, description, enabled_events, secret)
       VALUES ($1, $2, $3, $4, $5, $6) RETURNING ${COLUMNS}`,
      [
        endpoint.id,
        endpoint.tenantId,
        endpoint.url,
        endpoint.description,
        endpoint.enabledEvents,
        endpoint.secret,
      ],
    );
    return toEndpoint(row);
  }

  async findForTenant(tenantId: string, id: string): Promise<WebhookEndpoint | undefined> {
    const [row] = await this.manager.query<EndpointRow[]>(
      `SELECT ${COLUMNS} FROM webhook_endpoints WHERE tenant_id = $1 AND id = $2`,
      [tenantId, id],
    );
    return row ? toEndpoint(row) : undefined;
  }

  async listForTenant(tenantId: string): Promise<WebhookEndpoint[]> {
    const rows = await this.manager.query<EndpointRow[]>(
      `SELECT ${COLUMNS} FROM webhook_endpoints WHERE tenant_id = $1 ORDER BY created_at, id`,
      [tenantId],
    );
    return rows.map(toEndpoint);
  }

  /** Disabled endpoints too: the relay creates their deliveries `failed`. */
  async listForTenants(transaction: EntityManager, tenantIds: readonly string[]): Promise<WebhookEndpoint[]> {
    const rows = await transaction.query<EndpointRow[]>(
      `SELECT ${COLUMNS} FROM webhook_endpoints WHERE tenant_id = ANY($1::uuid[])`,
      [tenantIds],
    );
    return rows.map(toEndpoint);
  }

  /**
   * Disabling keeps an earlier disable's time and reason; enabling forgets the run of failures, so the
   * endpoint gets five days again.
   */
  async update(
    transaction: EntityManager,
    tenantId: string,
    id: string,
    changes: EndpointChanges,
  ): Promise<WebhookEndpoint | undefined> {
    const [rows] = await transaction.query<[EndpointRow[], number]>(
      `UPDATE webhook_endpoints SET
         url = COALESCE($3, url),
         enabled_events = COALESCE($4, enabled_events),
         description = CASE WHEN $5::text IS NULL THEN description ELSE NULLIF($5, '') END,
         disabled_at = CASE WHEN $6::boolean IS NULL THEN disabled_at
                            WHEN $6 THEN COALESCE(disabled_at, now()) ELSE NULL END,
         disabled_reason = CASE WHEN $6::boolean IS NULL THEN disabled_reason
                                WHEN $6 THEN COALESCE(disabled_reason, 'manual') ELSE NULL END,
         failing_since = CASE WHEN $6::boolean = false THEN NULL ELSE failing_since END,
         updated_at = now()
       WHERE tenant_id = $1 AND id = $2 RETURNING ${COLUMNS}`,
      [
        tenantId,
        id,
        changes.url ?? null,
        changes.enabledEvents ?? null,
        changes.description ?? null,
        changes.disabled ?? null,
      ],
    );
    return rows[0] ? toEndpoint(rows[0]) : undefined;
  }

  async delete(tenantId: string, id: string): Promise<boolean> {
    const [, affected] = await this.manager.query<[unknown, number]>(
      'DELETE FROM webhook_endpoints WHERE tenant_id = $1 AND id = $2',
      [tenantId, id],
    );
    return affected > 0;
  }

  async rotateSecret(
    tenantId: string,
    id: string,
    secret: string,
    overlapMs: number,
  ): Promise<(WebhookEndpoint & { previousSecretExpiresAt: Date }) | undefined> {
    const [rows] = await this.manager.query<
      [Array<EndpointRow & { previous_secret_expires_at: Date }>, number]
    >(
      `UPDATE webhook_endpoints SET previous_secret = secret, secret = $3,
         previous_secret_expires_at = now() + $4 * interval '1 millisecond', updated_at = now()
       WHERE tenant_id = $1 AND id = $2 RETURNING ${COLUMNS}, previous_secret_expires_at`,
      [tenantId, id, secret, overlapMs],
    );
    const row = rows[0];
    return row ? { ...toEndpoint(row), previousSecretExpiresAt: row.previous_secret_expires_at } : undefined;
  }

  /** The previous secret's expiry is judged by the database clock. */
  async targetOf(id: string): Promise<EndpointTarget | undefined> {
    const [row] = await this.manager.query<Array<{ url: string; secrets: string[]; disabled: boolean }>>(
      `SELECT url, disabled_at IS NOT NULL AS disabled,
              array_remove(ARRAY[secret, CASE WHEN previous_secret_expires_at > now() THEN previous_secret END], NULL) AS secrets
       FROM webhook_endpoints WHERE id = $1`,
      [id],
    );
    return row;
  }

  async markHealthy(transaction: EntityManager, id: string): Promise<void> {
    await transaction.query(
      'UPDATE webhook_endpoints SET failing_since = NULL WHERE id = $1 AND failing_since IS NOT NULL',
      [id],
    );
  }

  /** Keeps the start of a run of failures: the five days count from the first. */
  async markFailing(transaction: EntityManager, id: string): Promise<void> {
    await transaction.query(
      'UPDATE webhook_endpoints SET failing_since = now() WHERE id = $1 AND failing_since IS NULL',
      [id],
    );
  }

  /** Returns the endpoint only to the call that disabled it. */
  async disableFailing(
    transaction: EntityManager,
    id: string,
    failingMs: number,
  ): Promise<WebhookEndpoint | undefined> {
    const [rows] = await transaction.query<[EndpointRow[], number]>(
      `UPDATE webhook_endpoints SET disabled_at = now(), disabled_reason = 'failing', updated_at = now()
       WHERE id = $1 AND disabled_at IS NULL AND failing_since <= now() - $2 * interval '1 millisecond'
       RETURNING ${COLUMNS}`,
      [id, failingMs],
    );
    return rows[0] ? toEndpoint(rows[0]) : undefined;
  }

  async failingLongerThan(failingMs: number): Promise<string[]> {
    const rows = await this.manager.query<Array<{ id: string }>>(
      `SELECT id FROM webhook_endpoints
       WHERE disabled_at IS NULL AND failing_since <= now() - $1 * interval '1 millisecond'`,
      [failingMs],
    );
    return rows.map((row) => row.id);
  }

  async countDisabled(): Promise<number> {
    const [row] = await this.manager.query<Array<{ count: number }>>(
      'SELECT count(*)::int AS count FROM webhook_endpoints WHERE disabled_at IS NOT NULL',
    );
    return row.count;
  }
}

function toEndpoint(row: EndpointRow): WebhookEndpoint {
  return {
    id: row.id,
    tenantId: row.tenant_id,
    url: row.url,
    description: row.description,
    enabledEvents: row.enabled_events,
    disabledAt: row.disabled_at,
    disabledReason: row.disabled_reason,
    failingSince: row.failing_since,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}
