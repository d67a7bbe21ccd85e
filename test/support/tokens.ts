import { randomUUID } from 'node:crypto';
import jwt from 'jsonwebtoken';
import { TEST_JWT_SECRET } from './test-app';

export interface TokenOptions {
  tenantId?: string;
  userId?: string;
  roles?: string[];
  expiresInSeconds?: number;
  secret?: string;
  /** Claims to add or override; `undefined` removes a claim. */
  claims?: Record<string, unknown>;
}

/** A bearer token as clients send them: HS256, `sub`, `tenant_id`, `exp`, optional `roles`. */
export function signToken(options: TokenOptions = {}): string {
  const now = Math.floor(Date.now() / 1000);
  const payload: Record<string, unknown> = {
    sub: options.userId ?? 'user-1',
    tenant_id: options.tenantId ?? randomUUID(),
    exp: now + (options.expiresInSeconds ?? 300),
    iat: now,
    ...(options.roles ? { roles: options.roles } : {}),
    ...options.claims,
  };
  for (const [key, value] of Object.entries(payload)) if (value === undefined) delete payload[key];
  return jwt.sign(payload, options.secret ?? TEST_JWT_SECRET, { algorithm: 'HS256', noTimestamp: true });
}

export function bearer(token: string): Record<string, string> {
  return { Authorization: `Bearer ${token}` };
}
