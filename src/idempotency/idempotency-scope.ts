import { hash } from 'node:crypto';
import stringify from 'safe-stable-stringify';
import { jsonSchemaPattern, unanchored } from '../common/validation/json-schema-pattern';

/** An idempotency key belongs to one user of one tenant (docs/design/idempotency.md). */
export interface IdempotencyScope {
  readonly tenantId: string;
  readonly userId: string;
  readonly key: string;
}

const UUID_V4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/i;
const QUOTED = /^"(.*)"$/;

export const IDEMPOTENCY_KEY_PATTERN = ((v4: string) => `^(?:${v4}|"${v4}")$`)(
  unanchored(jsonSchemaPattern(UUID_V4)),
);

export type KeyReading = { key: string } | { problem: 'missing' | 'invalid' | 'repeated' };

/** Reads the raw header list so a repeated header is detected (Node would join the values with a comma). */
export function readIdempotencyKey(rawHeaders: readonly string[]): KeyReading {
  const values: string[] = [];
  for (let i = 0; i < rawHeaders.length; i += 2) {
    if (rawHeaders[i].toLowerCase() === 'idempotency-key') values.push(rawHeaders[i + 1]);
  }
  if (values.length === 0) return { problem: 'missing' };
  if (values.length > 1) return { problem: 'repeated' };
  const value = values[0].trim();
  const key = QUOTED.exec(value)?.[1] ?? value;
  return UUID_V4.test(key) ? { key: key.toLowerCase() } : { problem: 'invalid' };
}

/** Path parameters keep one key from replaying one endpoint's secret rotation as another's. */
export function fingerprintRequest(
  method: string,
  route: string,
  body: unknown,
  params: Record<string, string> = {},
): string {
  const target = Object.keys(params).length > 0 ? `${route} ${stringify(params)}` : route;
  return sha256(`${method.toUpperCase()} ${target}\n${stringify(body ?? null)}`);
}

/** A stable, opaque id of the scope for cache keys, with no tenant or user id in clear. */
export function scopeId(scope: IdempotencyScope): string {
  return sha256(`${scope.tenantId}\n${scope.userId}\n${scope.key}`);
}

/**
 * Deterministic, so a re-execution sends the same key and Stripe replays instead of charging again. Hashed,
 * so no tenant data leaves in clear.
 */
export function stripeIdempotencyKey(scope: IdempotencyScope, operation: string): string {
  return `ps1_${sha256(`${scope.tenantId}\n${scope.userId}\n${scope.key}\n${operation}`)}`;
}

function sha256(text: string): string {
  return hash('sha256', text, 'hex');
}
