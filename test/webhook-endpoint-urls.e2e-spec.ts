import { HostResolver } from '../src/webhook-endpoints/host-resolver';
import { registerEndpoint, waitForAttempts } from './support/deliveries';
import { FakeResolver } from './support/fake-resolver';
import { WEBHOOK_SECRET } from './support/stripe-events';
import { insertPayment, paymentEvent, recordEvents } from './support/tenant-events';
import { createTestApp, TestApp } from './support/test-app';
import { TestClient } from './support/test-client';
import { verifyDelivery, WebhookReceiver } from './support/webhook-receiver';

const endpointOf = (response: { body: unknown }) => response.body as { id: string };

describe('Webhook endpoint URLs in production', () => {
  let app: TestApp;
  const resolver = new FakeResolver();

  beforeAll(async () => {
    app = await createTestApp({
      env: {
        OUTGOING_WEBHOOK_SWEEP_INTERVAL_SECONDS: '1',
        NODE_ENV: 'production',
        STRIPE_SECRET_KEY: 'sk_test_endpoint_urls',
        STRIPE_API_URL: 'http://127.0.0.1:9',
        STRIPE_WEBHOOK_SECRET: WEBHOOK_SECRET,
      },
      overrides: [{ provide: HostResolver, useValue: resolver }],
    });
    resolver.set('loopback.example.invalid', '127.0.0.1');
    resolver.set('private.example.invalid', '10.20.30.40');
    resolver.set('metadata.example.invalid', '169.254.169.254');
    resolver.set('ipv6-loopback.example.invalid', '::1');
    resolver.set('mixed.example.invalid', '8.8.4.4', '192.168.1.10');
    resolver.set('mapped.example.invalid', '::ffff:10.0.0.1');
    resolver.set('public.example.invalid', '8.8.4.4');
  });
  afterAll(async () => {
    await app?.close();
  });

  it.each([
    'https://127.0.0.1/hooks',
    'https://10.1.2.3/hooks',
    'https://169.254.169.254/latest/meta-data',
    'https://[::1]/hooks',
    'https://[::ffff:127.0.0.1]/hooks',
    'https://0.0.0.0/hooks',
    'https://loopback.example.invalid/hooks',
    'https://private.example.invalid/hooks',
    'https://metadata.example.invalid/hooks',
    'https://ipv6-loopback.example.invalid/hooks',
    'https://mixed.example.invalid/hooks',
    'https://mapped.example.invalid/hooks',
    'https://unknown.example.invalid/hooks',
    'http://public.example.invalid/hooks',
    'https://user:password@public.example.invalid/hooks',
    'ftp://public.example.invalid/hooks',
    'not a url',
  ])('refuses %s with 400 WEBHOOK_URL_INVALID', async (url) => {
    const client = new TestClient({ app });
    const response = await client.post('/webhook-endpoints', { url, enabledEvents: ['*'] });
    expect({ status: response.status, code: (response.body as { code: string }).code }).toEqual({
      status: 400,
      code: 'WEBHOOK_URL_INVALID',
    });
    const { id } = endpointOf(
      await client.post('/webhook-endpoints', {
        url: 'https://public.example.invalid/hooks',
        enabledEvents: ['*'],
      }),
    );
    // A change of URL is checked the same way.
    expect((await client.patch(`/webhook-endpoints/${id}`, { url })).body.code).toBe('WEBHOOK_URL_INVALID');
  });

  it('accepts an https URL whose host resolves to public addresses only', async () => {
    const response = await new TestClient({ app }).post('/webhook-endpoints', {
      url: 'https://public.example.invalid/hooks',
      enabledEvents: ['*'],
    });
    expect(response.status).toBe(201);
  });

  it('checks the address again at each delivery: a name that resolves elsewhere since it was saved is refused', async () => {
    const client = new TestClient({ app });
    resolver.set('rebind.example.invalid', '8.8.4.4');
    const endpoint = await registerEndpoint(client, 'https://rebind.example.invalid/hooks');
    // The name now points inside (DNS rebinding), before anything is delivered.
    resolver.set('rebind.example.invalid', '127.0.0.1');
    const [eventId] = await recordEvents(app, [
      paymentEvent(client.tenantId, await insertPayment(app, client.tenantId), 'succeeded'),
    ]);
    const row = await waitForAttempts(app, eventId, endpoint.id, 1);
    expect(row.attempt_log[0]).toMatchObject({
      statusCode: null,
      error:
        "UrlRefusedError: url's host rebind.example.invalid resolves to 127.0.0.1, a loopback, private, link-local or otherwise non-public address",
    });
    expect(row.status).toBe('pending');
  });
});

describe('Webhook deliveries connect to the address they checked', () => {
  let app: TestApp;
  const resolver = new FakeResolver();

  beforeAll(async () => {
    app = await createTestApp({ overrides: [{ provide: HostResolver, useValue: resolver }] });
  });
  afterAll(async () => {
    await app?.close();
  });

  it('resolves the name once per attempt and connects to that answer (real DNS never resolves it)', async () => {
    const hooks = await WebhookReceiver.start();
    try {
      const port = new URL(hooks.url).port;
      resolver.set('receiver.example.invalid', '127.0.0.1');
      const client = new TestClient({ app });
      const endpoint = await registerEndpoint(client, `http://receiver.example.invalid:${port}/hooks`);
      const asked = resolver.asked.length;
      const [eventId] = await recordEvents(app, [
        paymentEvent(client.tenantId, await insertPayment(app, client.tenantId), 'succeeded'),
      ]);
      const [delivery] = await hooks.waitForDeliveries(eventId);
      expect(delivery.headers.host).toBe(`receiver.example.invalid:${port}`);
      expect(verifyDelivery(endpoint.secret, delivery)).toMatchObject({ id: eventId });
      expect(resolver.asked.slice(asked)).toEqual(['receiver.example.invalid']);
    } finally {
      await hooks.close();
    }
  });
});
