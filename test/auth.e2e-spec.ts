import jwt from 'jsonwebtoken';
import request from 'supertest';
import { AdminPathProbeController, ProbeController } from './support/probe.controller';
import { createTestApp, TEST_JWT_SECRET, TestApp } from './support/test-app';
import { sleep } from './support/time';
import { bearer, signToken } from './support/tokens';

describe('Authentication and tenancy', () => {
  let testApp: TestApp;
  const tenantId = '6f1c2b8e-3d4a-4f5b-9c6d-7e8f9a0b1c2d';

  beforeAll(async () => {
    testApp = await createTestApp({ metadata: { controllers: [ProbeController, AdminPathProbeController] } });
  });
  afterAll(() => testApp.close());

  const getMe = (headers: Record<string, string>) => request(testApp.http).get('/probe/me').set(headers);

  it('lets a valid token through and exposes its principal', async () => {
    const response = await getMe(bearer(signToken({ tenantId, userId: 'alice', roles: ['viewer'] })));
    expect(response.status).toBe(200);
    expect(response.body).toEqual({ userId: 'alice', tenantId, roles: ['viewer'] });
  });

  it('answers 401 AUTH_TOKEN_MISSING without a token', async () => {
    const response = await getMe({});
    expect(response.status).toBe(401);
    expect(response.body).toEqual({
      statusCode: 401,
      code: 'AUTH_TOKEN_MISSING',
      message: expect.any(String),
    });
  });

  it('answers 401 AUTH_TOKEN_EXPIRED for an expired token', async () => {
    const response = await getMe(bearer(signToken({ tenantId, expiresInSeconds: -10 })));
    expect(response.status).toBe(401);
    expect(response.body.code).toBe('AUTH_TOKEN_EXPIRED');
  });

  it('answers 401 AUTH_TOKEN_EXPIRED for a token it has accepted, once the token has expired', async () => {
    const exp = Math.floor(Date.now() / 1000) + 2;
    const token = signToken({ tenantId, claims: { exp } });
    expect((await getMe(bearer(token))).status).toBe(200);
    expect((await getMe(bearer(token))).status).toBe(200);
    await sleep(exp * 1000 - Date.now() + 20);
    const response = await getMe(bearer(token));
    expect(response.status).toBe(401);
    expect(response.body).toEqual({
      statusCode: 401,
      code: 'AUTH_TOKEN_EXPIRED',
      message: 'The bearer token has expired',
    });
  });

  const now = () => Math.floor(Date.now() / 1000);
  const invalidTokens: Array<[string, () => string]> = [
    ['a malformed token', () => 'not.a.jwt'],
    ['a non-JWT string', () => 'abc'],
    ['a wrong signature', () => signToken({ tenantId, secret: 'another-secret-of-sufficient-length' })],
    [
      'alg: none',
      () =>
        [
          Buffer.from(JSON.stringify({ alg: 'none', typ: 'JWT' })).toString('base64url'),
          Buffer.from(JSON.stringify({ sub: 'u', tenant_id: tenantId, exp: now() + 60 })).toString(
            'base64url',
          ),
          '',
        ].join('.'),
    ],
    [
      'HS512 with the right secret (only HS256 is accepted)',
      () =>
        jwt.sign({ sub: 'u', tenant_id: tenantId, exp: now() + 60 }, TEST_JWT_SECRET, { algorithm: 'HS512' }),
    ],
    ['a missing sub', () => signToken({ tenantId, claims: { sub: undefined } })],
    ['an empty sub', () => signToken({ tenantId, userId: '' })],
    ['a sub over 128 chars', () => signToken({ tenantId, userId: 'u'.repeat(129) })],
    ['a missing tenant_id', () => signToken({ claims: { tenant_id: undefined } })],
    ['a tenant_id that is not a UUID', () => signToken({ claims: { tenant_id: 'tenant-1' } })],
    ['a missing exp', () => signToken({ tenantId, claims: { exp: undefined } })],
    ['roles that are not a string array', () => signToken({ tenantId, claims: { roles: 'admin' } })],
    [
      'a token not valid before a minute from now',
      () => signToken({ tenantId, claims: { nbf: now() + 60 } }),
    ],
  ];

  it.each(invalidTokens)('answers 401 AUTH_TOKEN_INVALID for %s', async (_name, token) => {
    const response = await getMe(bearer(token()));
    expect(response.status).toBe(401);
    expect(response.body.code).toBe('AUTH_TOKEN_INVALID');
  });

  it('answers 401 for a non-Bearer scheme', async () => {
    const response = await getMe({ Authorization: `Basic ${signToken({ tenantId })}` });
    expect(response.status).toBe(401);
    expect(response.body.code).toBe('AUTH_TOKEN_MISSING');
  });

  it('answers 403 ADMIN_ROLE_REQUIRED on an admin route without the admin role', async () => {
    const response = await request(testApp.http)
      .get('/probe/admin')
      .set(bearer(signToken({ tenantId })));
    expect(response.status).toBe(403);
    expect(response.body.code).toBe('ADMIN_ROLE_REQUIRED');
  });

  it('lets an admin token through an admin route', async () => {
    const response = await request(testApp.http)
      .get('/probe/admin')
      .set(bearer(signToken({ tenantId, roles: ['admin'] })));
    expect(response.status).toBe(200);
  });

  it('demands the admin role on every /admin route, even one that forgot @AdminOnly()', async () => {
    const user = await request(testApp.http)
      .get('/admin/probe')
      .set(bearer(signToken({ tenantId })));
    expect(user.status).toBe(403);
    expect(user.body.code).toBe('ADMIN_ROLE_REQUIRED');
    const admin = await request(testApp.http)
      .get('/admin/probe')
      .set(bearer(signToken({ tenantId, roles: ['admin'] })));
    expect(admin.status).toBe(200);
  });

  it('answers every request with its request id, the caller’s when it sent a sane one', async () => {
    const given = await request(testApp.http).get('/health').set('X-Request-Id', 'trace-123');
    expect(given.headers['x-request-id']).toBe('trace-123');
    const made = await request(testApp.http).get('/health').set('X-Request-Id', 'bad id with spaces');
    expect(made.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('needs no token on public routes', async () => {
    const response = await request(testApp.http).get('/health');
    expect(response.status).toBe(200);
  });
});
