import { DataSource } from 'typeorm';
import { runCli } from './support/cli-process';
import { registerEndpoint } from './support/deliveries';
import { insertPayment, paymentEvent, recordEvents } from './support/tenant-events';
import { createTestApp, TestApp } from './support/test-app';
import { TestClient } from './support/test-client';
import { WebhookReceiver } from './support/webhook-receiver';

describe('npm run cli: tenant events', () => {
  let app: TestApp;
  let db: DataSource;
  let hooks: WebhookReceiver;

  beforeAll(async () => {
    app = await createTestApp({ env: { OUTGOING_WEBHOOK_SWEEP_INTERVAL_SECONDS: '1' } });
    db = app.app.get(DataSource);
    hooks = await WebhookReceiver.start();
  });
  afterAll(async () => {
    await hooks?.close();
    await app?.close();
  });

  it('events:resend delivers an event again, to every subscribed endpoint or to one', async () => {
    const client = new TestClient({ app });
    const endpoint = await registerEndpoint(client, hooks.url);
    const [eventId] = await recordEvents(app, [
      paymentEvent(client.tenantId, await insertPayment(app, client.tenantId), 'succeeded'),
    ]);
    await hooks.waitForDeliveries(eventId);

    const all = await runCli(['events:resend', eventId]);
    expect(all).toMatchObject({ code: 0, stderr: '' });
    expect(all.stdout).toMatch(/^delivery [0-9a-f-]{36} due now$/m);
    expect(all.stdout).toMatch(
      new RegExp(`^events: ${eventId} queued for delivery to 1 endpoint\\(s\\)$`, 'm'),
    );
    await hooks.waitForDeliveries(eventId, 2);

    const one = await runCli(['events:resend', eventId, '--endpoint', endpoint.id]);
    expect(one).toMatchObject({ code: 0, stderr: '' });
    await hooks.waitForDeliveries(eventId, 3);
  }, 60000);

  it('events:resend refuses what it cannot do, in one line', async () => {
    await expect(runCli(['events:resend', 'evt_123'])).resolves.toMatchObject({
      code: 1,
      stderr: 'events:resend: evt_123 is not an event id (a UUID)\n',
    });
  }, 60000);

  it('cleanup deletes events past EVENT_RETENTION_DAYS, with their deliveries, and says how many', async () => {
    const client = new TestClient({ app });
    await registerEndpoint(client, hooks.url);
    const paymentId = await insertPayment(app, client.tenantId);
    const [old, recent] = await recordEvents(app, [
      paymentEvent(client.tenantId, paymentId, 'succeeded'),
      paymentEvent(client.tenantId, paymentId, 'refunded', 'succeeded'),
    ]);
    await hooks.waitForDeliveries(old);
    await db.query(`UPDATE events SET created_at = now() - interval '91 days' WHERE id = $1`, [old]);

    const result = await runCli(['cleanup']);
    expect(result).toMatchObject({ code: 0, stderr: '' });
    expect(result.stdout).toMatch(
      /^events: [1-9]\d* event\(s\) older than 90 day\(s\) deleted, with their deliveries$/m,
    );
    const left = await db.query<Array<{ id: string }>>('SELECT id FROM events WHERE id = ANY($1)', [
      [old, recent],
    ]);
    expect(left).toEqual([{ id: recent }]);
    const [deliveries] = await db.query<Array<{ count: number }>>(
      'SELECT count(*)::int AS count FROM webhook_deliveries WHERE event_id = $1',
      [old],
    );
    expect(deliveries.count).toBe(0);
    // A later event of the same payment keeps counting where the deleted ones left off.
    const [next] = await recordEvents(app, [
      paymentEvent(client.tenantId, paymentId, 'refunded', 'refunded'),
    ]);
    expect(((await client.get(`/events/${next}`)).body as { sequence: number }).sequence).toBe(3);
  }, 60000);
});
