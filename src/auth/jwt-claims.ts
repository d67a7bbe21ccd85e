import { isUUID } from 'class-validator';
import { Principal } from './principal';

/** Checked after the signature (docs/design/requests.md); a token that never expires is refused. */
export function principalFromClaims(claims: unknown): Principal | undefined {
  if (typeof claims !== 'object' || claims === null) return undefined;
  const { sub, tenant_id: tenantId, exp, roles } = claims as Record<string, unknown>;
  if (typeof sub !== 'string' || sub.length < 1 || sub.length > 128) return undefined;
  if (typeof tenantId !== 'string' || !isUUID(tenantId)) return undefined;
  if (typeof exp !== 'number') return undefined;
  if (roles !== undefined && !(Array.isArray(roles) && roles.every((role) => typeof role === 'string'))) {
    return undefined;
  }
  // Copied: the claims object is the verifier's cached one, shared by every request with this token.
  return { userId: sub, tenantId: tenantId.toLowerCase(), roles: roles ? [...roles] : [] };
}
