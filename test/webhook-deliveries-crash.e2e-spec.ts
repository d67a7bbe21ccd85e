import { DataSource } from 'typeorm';
import { deliveryOf, makeDue, registerEndpoint } from './support/deliveries';
import { ServiceProcess } from './support/service-process';
import { waitFor, WEBHOOK_SECRET } from './support/stripe-events';
import { insertPayment, paymentEvent, recordEvents } from './support/tenant-events';
import { createTestApp, TEST_JWT_SECRET, TestApp } from './support/test-app';
import { TestClient } from './support/test-client';
import { verifyDelivery, WebhookReceiver } from './support/webhook-receiver';

describe('A webhook worker killed mid-delivery', () => {
  const env = {
    DATABASE_URL: process.env.TEST_DATABASE_URL ?? '',
    REDIS_URL: process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379',
    JWT_SECRET: TEST_JWT_SECRET,
    STRIPE_SECRET_KEY: 'sk_test_killed_delivery',
    STRIPE_API_URL: 'http://127.0.0.1:9',
    STRIPE_WEBHOOK_SECRET: WEBHOOK_SECRET,
    // The receivers are on this machine.
    OUTGOING_WEBHOOKS_ALLOW_PRIVATE_URLS: 'true',
    OUTGOING_WEBHOOK_TIMEOUT_MS: '20000',
    OUTGOING_WEBHOOK_SWEEP_INTERVAL_SECONDS: '1',
  };
  let api: TestApp;
  let db: DataSource;
  let hooks: WebhookReceiver;
  const workers: ServiceProcess[] = [];

  beforeAll(async () => {
    // Records and relays only: every attempt happens in a worker process.
    api = await createTestApp({ env: { ...env, WORKER_MODE: 'api' } });
    db = api.app.get(DataSource);
    hooks = await WebhookReceiver.start();
  });
  afterAll(async () => {
    await Promise.all([...workers.map((worker) => worker.stop()), hooks?.close()]);
    await api?.close();
  });

  async function startWorker(): Promise<ServiceProcess> {
    const worker = await ServiceProcess.start({ ...env, WORKER_MODE: 'worker' });
    workers.push(worker);
    return worker;
  }

  it('delivers the event after a restart, under the same webhook-id: nothing recorded is lost', async () => {
    const client = new TestClient({ app: api });
    const endpoint = await registerEndpoint(client, hooks.url);
    // The receiver takes the first delivery and does not answer: the worker is mid-attempt.
    hooks.respond({ kind: 'hang' });
    const first = await startWorker();
    const [eventId] = await recordEvents(api, [
      paymentEvent(client.tenantId, await insertPayment(api, client.tenantId), 'succeeded'),
    ]);
    await hooks.waitForDeliveries(eventId, 1, 30000);

    await first.crash();
    hooks.respond({ kind: 'answer', status: 200 });
    const claimed = await deliveryOf(api, eventId, endpoint.id);
    // The attempt was counted when it began; its outcome was never written.
    expect(claimed).toMatchObject({ status: 'pending', attempts: 1, attempt_log: [] });
    const [{ leaseSeconds }] = await db.query<Array<{ leaseSeconds: number }>>(
      `SELECT extract(epoch FROM next_attempt_at - now())::float8 AS "leaseSeconds" FROM webhook_deliveries WHERE id = $1`,
      [claimed!.id],
    );
    // Due again once the attempt's lease (timeout + 15 s) has run out, whoever is alive then.
    expect(leaseSeconds).toBeGreaterThan(20);
    expect(leaseSeconds).toBeLessThanOrEqual(35);

    await startWorker();
    await makeDue(api, claimed!.id);
    const deliveries = await hooks.waitForDeliveries(eventId, 2, 30000);
    for (const delivery of deliveries)
      expect(verifyDelivery(endpoint.secret, delivery)).toMatchObject({ id: eventId });
    await waitFor(
      'the delivery to be recorded as succeeded',
      async () => (await deliveryOf(api, eventId, endpoint.id))?.status === 'succeeded',
    );
    expect(await deliveryOf(api, eventId, endpoint.id)).toMatchObject({ status: 'succeeded', attempts: 2 });
  }, 120000);
});
