import { principalFromClaims } from './jwt-claims';

describe(principalFromClaims.name, () => {
  const tenantId = '0b9a3c1e-8f7d-4e6c-b5a4-3d2c1b0a9f8e';
  const claims = { sub: 'user-1', tenant_id: tenantId, exp: 2_000_000_000 };

  it('maps valid claims to a principal', () => {
    expect(principalFromClaims({ ...claims, roles: ['admin'] })).toEqual({
      userId: 'user-1',
      tenantId,
      roles: ['admin'],
    });
  });

  it('defaults roles to none and lower-cases the tenant id', () => {
    expect(principalFromClaims({ ...claims, tenant_id: tenantId.toUpperCase() })).toEqual({
      userId: 'user-1',
      tenantId,
      roles: [],
    });
  });

  it.each([
    ['no sub', { ...claims, sub: undefined }],
    ['a numeric sub', { ...claims, sub: 42 }],
    ['a 129-char sub', { ...claims, sub: 'x'.repeat(129) }],
    ['no tenant_id', { ...claims, tenant_id: undefined }],
    ['a non-UUID tenant_id', { ...claims, tenant_id: 'acme' }],
    ['no exp', { ...claims, exp: undefined }],
    ['roles not an array', { ...claims, roles: 'admin' }],
    ['roles with a non-string', { ...claims, roles: ['admin', 1] }],
  ])('refuses %s', (_name, payload) => {
    expect(principalFromClaims(payload)).toBeUndefined();
  });
});
