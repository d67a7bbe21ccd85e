import { isUUID } from 'class-validator';
import { Principal } from './principal';

/**
 * The claims a token must carry (docs/design/requests.md), checked after the signature: `sub` (1–128 chars), `tenant_id`
 * (UUID), `exp` (a number; a token that never expires is refused), optional `roles: string[]`.
 */
export function principalFromClaims(claims: unknown): Principal | undefined {
  if (typeof claims !== 'object' || claims === null) return undefined;
  const { sub, tenant_id: tenantId, exp, roles } = claims as Record<string, unknown>;
  if (typeof sub !== 'string' || sub.length < 1 || sub.length > 128) return undefined;
  if (typeof tenantId !== 'string' || !isUUID(tenantId)) return undefined;
  if (typeof exp !== 'number') return undefined;
  if (roles !== undefined && !(Array.isArray(roles) && roles.every((role) => typeof role === 'string'))) {
    return undefined;
  }
  // A copy: the claims object is the verifier's cached one, shared by every request with this token.
  return { userId: sub, tenantId: tenantId.toLowerCase(), roles: roles ? [...roles] : [] };
}
