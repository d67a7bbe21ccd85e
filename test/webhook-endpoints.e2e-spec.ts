import { randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import { createTestApp, TestApp } from './support/test-app';
import { TestClient } from './support/test-client';

interface EndpointBody {
  id: string;
  url: string;
  secret?: string;
  status: string;
  enabledEvents: string[];
}

const endpointOf = (response: { body: unknown }) => response.body as EndpointBody;

describe('Webhook endpoints', () => {
  let app: TestApp;
  let db: DataSource;

  beforeAll(async () => {
    app = await createTestApp({ env: { WEBHOOK_ENDPOINTS_PER_TENANT: '3' } });
    db = app.app.get(DataSource);
  });
  afterAll(async () => {
    await app?.close();
  });

  it('creates an endpoint with its secret shown once, then reads, lists, changes and deletes it', async () => {
    const client = new TestClient({ app });
    const created = await client.post('/webhook-endpoints', {
      url: 'http://127.0.0.1:9/hooks',
      enabledEvents: ['payment.*', 'refund.failed', 'payment.*'],
      description: 'orders',
    });
    expect(created.status).toBe(201);
    const endpoint = endpointOf(created);
    expect(created.headers.location).toBe(`/webhook-endpoints/${endpoint.id}`);
    expect(endpoint).toMatchObject({
      url: 'http://127.0.0.1:9/hooks',
      enabledEvents: ['payment.*', 'refund.failed'],
      description: 'orders',
      status: 'enabled',
      disabledReason: null,
    });
    expect(endpoint.secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);

    const read = await client.get(`/webhook-endpoints/${endpoint.id}`);
    expect(read.status).toBe(200);
    expect(read.body).not.toHaveProperty('secret');
    expect((await client.get('/webhook-endpoints')).body).toEqual({ data: [read.body] });

    const changed = await client
      .patch(`/webhook-endpoints/${endpoint.id}`, { enabledEvents: ['*'], description: '', disabled: true })
      .expect(200);
    expect(changed.body).toMatchObject({
      enabledEvents: ['*'],
      description: null,
      status: 'disabled',
      disabledReason: 'manual',
    });
    const enabled = await client.patch(`/webhook-endpoints/${endpoint.id}`, { disabled: false }).expect(200);
    expect(enabled.body).toMatchObject({ status: 'enabled', disabledReason: null, disabledAt: null });

    expect((await client.delete(`/webhook-endpoints/${endpoint.id}`)).status).toBe(204);
    expect((await client.get(`/webhook-endpoints/${endpoint.id}`)).body.code).toBe(
      'WEBHOOK_ENDPOINT_NOT_FOUND',
    );
  });

  it('replays a creation under the same key, secret included, and creates one endpoint', async () => {
    const client = new TestClient({ app });
    const key = randomUUID();
    const body = { url: 'http://127.0.0.1:9/replayed', enabledEvents: ['*'] };
    const first = await client.post('/webhook-endpoints', body, key);
    const again = await client.post('/webhook-endpoints', body, key);
    expect(first.status).toBe(201);
    expect(first.headers['idempotent-replayed']).toBeUndefined();
    expect(again.status).toBe(201);
    expect(again.headers['idempotent-replayed']).toBe('true');
    expect(again.text).toBe(first.text);
    expect(again.headers.location).toBe(first.headers.location);
    const mismatch = await client.post('/webhook-endpoints', { ...body, enabledEvents: ['refund.*'] }, key);
    expect(mismatch.body.code).toBe('IDEMPOTENCY_KEY_MISMATCH');
    const [row] = await db.query<Array<{ count: number }>>(
      'SELECT count(*)::int AS count FROM webhook_endpoints WHERE tenant_id = $1',
      [client.tenantId],
    );
    expect(row.count).toBe(1);
    expect((await client.post('/webhook-endpoints', body)).status).toBe(201);
  });

  it('holds a tenant to WEBHOOK_ENDPOINTS_PER_TENANT, also when creations race', async () => {
    const client = new TestClient({ app });
    const answers = await Promise.all(
      Array.from({ length: 6 }, () =>
        client.post('/webhook-endpoints', { url: 'http://127.0.0.1:9/race', enabledEvents: ['*'] }),
      ),
    );
    expect(answers.map((answer) => answer.status).sort()).toEqual([201, 201, 201, 422, 422, 422]);
    const refused = answers.find((answer) => answer.status === 422);
    expect(refused?.body).toMatchObject({ code: 'WEBHOOK_ENDPOINT_LIMIT_REACHED', details: { limit: 3 } });
    expect((await client.get('/webhook-endpoints')).body.data).toHaveLength(3);
    // Another tenant has room of its own.
    expect(
      (
        await new TestClient({ app }).post('/webhook-endpoints', {
          url: 'http://127.0.0.1:9/',
          enabledEvents: ['*'],
        })
      ).status,
    ).toBe(201);
  });

  it('keeps each tenant’s endpoints its own: another tenant’s is 404 on every route', async () => {
    const owner = new TestClient({ app });
    const other = new TestClient({ app });
    const { id } = endpointOf(
      await owner.post('/webhook-endpoints', { url: 'http://127.0.0.1:9/', enabledEvents: ['*'] }),
    );
    const answers = [
      await other.get(`/webhook-endpoints/${id}`),
      await other.patch(`/webhook-endpoints/${id}`, { disabled: true }),
      await other.delete(`/webhook-endpoints/${id}`),
      await other.post(`/webhook-endpoints/${id}/rotate-secret`, {}),
      await other.post(`/webhook-endpoints/${id}/recover`, { since: new Date().toISOString() }),
      await other.get(`/webhook-endpoints/${id}/deliveries`),
      await other.post(`/events/${randomUUID()}/resend`, { endpointId: id }),
    ];
    expect(answers.map((answer) => answer.status)).toEqual([404, 404, 404, 404, 404, 404, 404]);
    expect((await other.get('/webhook-endpoints')).body).toEqual({ data: [] });
    expect((await owner.get(`/webhook-endpoints/${id}`)).body).toMatchObject({ status: 'enabled' });
  });

  it('rotates the secret: a new one, shown once, the old one kept for 24 h', async () => {
    const client = new TestClient({ app });
    const created = endpointOf(
      await client.post('/webhook-endpoints', { url: 'http://127.0.0.1:9/', enabledEvents: ['*'] }),
    );
    const rotated = await client.post(`/webhook-endpoints/${created.id}/rotate-secret`, {});
    expect(rotated.status).toBe(200);
    const body = rotated.body as EndpointBody & { previousSecretExpiresAt: string };
    expect(body.secret).toMatch(/^whsec_/);
    expect(body.secret).not.toBe(created.secret);
    const overlapHours = (Date.parse(body.previousSecretExpiresAt) - Date.now()) / 3600000;
    expect(overlapHours).toBeGreaterThan(23.9);
    expect(overlapHours).toBeLessThanOrEqual(24);
    // Without a body, as clients send a POST with nothing to say, it rotates too.
    expect(
      (await client.post(`/webhook-endpoints/${created.id}/rotate-secret`, undefined as unknown as object))
        .status,
    ).toBe(200);
  });

  it('keeps one Idempotency-Key to one endpoint: reused on another, it is a mismatch, never the first one’s secret', async () => {
    const client = new TestClient({ app });
    const create = () =>
      client.post('/webhook-endpoints', { url: 'http://127.0.0.1:9/', enabledEvents: ['*'] });
    const [first, second] = [endpointOf(await create()), endpointOf(await create())];
    const key = randomUUID();
    const rotated = await client.post(`/webhook-endpoints/${first.id}/rotate-secret`, {}, key);
    expect(rotated.status).toBe(200);
    const again = await client.post(`/webhook-endpoints/${first.id}/rotate-secret`, {}, key);
    expect(again.headers['idempotent-replayed']).toBe('true');
    const elsewhere = await client.post(`/webhook-endpoints/${second.id}/rotate-secret`, {}, key);
    expect(elsewhere.status).toBe(422);
    expect(elsewhere.body.code).toBe('IDEMPOTENCY_KEY_MISMATCH');
    expect(JSON.stringify(elsewhere.body)).not.toContain(String(rotated.body.secret));
  });

  const UNKNOWN = randomUUID();
  it.each([
    ['POST', '/webhook-endpoints', { url: 'http://127.0.0.1:9/', enabledEvents: ['*'], extra: 1 }],
    ['POST', '/webhook-endpoints', { url: 'http://127.0.0.1:9/', enabledEvents: [] }],
    ['POST', '/webhook-endpoints', { url: 'http://127.0.0.1:9/', enabledEvents: ['payment.exploded'] }],
    ['POST', '/webhook-endpoints', { url: 'http://127.0.0.1:9/', enabledEvents: 'payment.*' }],
    ['POST', '/webhook-endpoints', { url: 'http://127.0.0.1:9/', enabledEvents: ['*'], description: null }],
    ['POST', '/webhook-endpoints', { enabledEvents: ['*'] }],
    ['POST', '/webhook-endpoints', { url: 42, enabledEvents: ['*'] }],
    ['POST', '/webhook-endpoints', { url: `http://127.0.0.1:9/${'a'.repeat(2048)}`, enabledEvents: ['*'] }],
    ['PATCH', `/webhook-endpoints/${UNKNOWN}`, { disabled: 'yes' }],
    ['PATCH', `/webhook-endpoints/${UNKNOWN}`, { url: null }],
    ['PATCH', `/webhook-endpoints/${UNKNOWN}`, { secret: 'whsec_mine' }],
    ['PATCH', '/webhook-endpoints/not-a-uuid', { disabled: true }],
    ['GET', '/webhook-endpoints/not-a-uuid', undefined],
    ['DELETE', '/webhook-endpoints/not-a-uuid', undefined],
    ['POST', `/webhook-endpoints/${UNKNOWN}/rotate-secret`, { now: true }],
    ['POST', '/webhook-endpoints/not-a-uuid/rotate-secret', {}],
    ['POST', `/webhook-endpoints/${UNKNOWN}/recover`, {}],
    ['POST', `/webhook-endpoints/${UNKNOWN}/recover`, { since: 'last week' }],
    ['POST', `/webhook-endpoints/${UNKNOWN}/recover`, { since: '2026-W01-1' }],
    ['POST', `/webhook-endpoints/${UNKNOWN}/recover`, { since: '2026-12-05' }],
    ['POST', `/webhook-endpoints/${UNKNOWN}/recover`, { since: '2026-01-01T00:00:00Z', all: true }],
    ['GET', `/webhook-endpoints/${UNKNOWN}/deliveries?limit=0`, undefined],
    ['GET', `/webhook-endpoints/${UNKNOWN}/deliveries?limit=101`, undefined],
    ['GET', `/webhook-endpoints/${UNKNOWN}/deliveries?status=lost`, undefined],
    ['GET', `/webhook-endpoints/${UNKNOWN}/deliveries?cursor=%21`, undefined],
    ['GET', `/webhook-endpoints/${UNKNOWN}/deliveries?page=2`, undefined],
    ['GET', '/webhook-endpoints/not-a-uuid/deliveries', undefined],
    ['POST', `/events/${UNKNOWN}/resend`, { endpointId: 'not-a-uuid' }],
    ['POST', `/events/${UNKNOWN}/resend`, { endpointId: null }],
    ['POST', `/events/${UNKNOWN}/resend`, { everywhere: true }],
    ['POST', '/events/not-a-uuid/resend', {}],
  ])('%s %s refuses %j with 400 VALIDATION_FAILED', async (method, path, body) => {
    const client = new TestClient({ app });
    const response =
      method === 'POST'
        ? await client.post(path, body as object)
        : method === 'PATCH'
          ? await client.patch(path, body as object)
          : method === 'DELETE'
            ? await client.delete(path)
            : await client.get(path);
    expect({ status: response.status, code: (response.body as { code?: string }).code }).toEqual({
      status: 400,
      code: 'VALIDATION_FAILED',
    });
  });

  it('answers 401 without a token on every route', async () => {
    const anonymous = new TestClient({ app });
    const answers = await Promise.all([
      anonymous.anonymous('get', '/webhook-endpoints'),
      anonymous.anonymous('post', '/webhook-endpoints'),
      anonymous.anonymous('patch', `/webhook-endpoints/${UNKNOWN}`),
      anonymous.anonymous('delete', `/webhook-endpoints/${UNKNOWN}`),
      anonymous.anonymous('post', `/events/${UNKNOWN}/resend`),
    ]);
    expect(answers.map((answer) => answer.status)).toEqual([401, 401, 401, 401, 401]);
  });
});
