import request from 'supertest';
import { waitFor } from './support/stripe-events';
import { deliverySuite, deliveryOf, registerEndpoint, waitForAttempts } from './support/deliveries';
import { insertPayment, paymentEvent, recordEvents } from './support/tenant-events';
import { TestClient } from './support/test-client';
import { verifyDelivery } from './support/webhook-receiver';

const HOUR = 3600 * 1000;

describe('Failing endpoints: disabled after 5 days, then recovered; events resent', () => {
  const suite = deliverySuite();
  const { receiver } = suite;

  it('disables an endpoint whose every delivery failed for 5 days, and records webhook_endpoint.disabled', async () => {
    const client = new TestClient({ app: suite.app });
    const failing = await receiver();
    failing.respond({ kind: 'answer', status: 500 });
    const healthy = await receiver();
    const broken = await registerEndpoint(client, failing.url, ['payment.*']);
    const watcher = await registerEndpoint(client, healthy.url, ['webhook_endpoint.disabled']);
    const [eventId] = await recordEvents(suite.app, [
      paymentEvent(client.tenantId, await insertPayment(suite.app, client.tenantId), 'succeeded'),
    ]);
    await waitForAttempts(suite.app, eventId, broken.id, 1);
    // Five days of failures: the next failed attempt, or the sweeper before it, disables the endpoint.
    await suite.db.query(
      `UPDATE webhook_endpoints SET failing_since = now() - interval '5 days 1 minute' WHERE id = $1`,
      [broken.id],
    );
    await waitFor(
      'the endpoint to be disabled',
      async () =>
        ((await client.get(`/webhook-endpoints/${broken.id}`)).body as { status: string }).status ===
        'disabled',
    );
    const endpoint = await client.get(`/webhook-endpoints/${broken.id}`);
    expect(endpoint.body).toMatchObject({ status: 'disabled', disabledReason: 'failing' });
    expect(await deliveryOf(suite.app, eventId, broken.id)).toMatchObject({
      status: 'failed',
      next_attempt_at: null,
    });
    const events = await client.get('/events?type=webhook_endpoint.disabled');
    const [disabled] = (
      events.body as { data: Array<{ id: string; data: { object: unknown; previousStatus: string } }> }
    ).data;
    expect(disabled).toMatchObject({
      type: 'webhook_endpoint.disabled',
      data: {
        object: { id: broken.id, status: 'disabled', disabledReason: 'failing' },
        previousStatus: 'enabled',
      },
      cause: { kind: 'delivery_failures' },
    });
    const [delivered] = await healthy.waitForDeliveries(disabled.id);
    expect(verifyDelivery(watcher.secret, delivered)).toMatchObject({ id: disabled.id });
    // A disabled endpoint gets nothing more; its new events are failed at once, for `recover` to bring back.
    const [later] = await recordEvents(suite.app, [
      paymentEvent(client.tenantId, await insertPayment(suite.app, client.tenantId), 'succeeded'),
    ]);
    await expect(waitForAttempts(suite.app, later, broken.id, 0)).resolves.toMatchObject({
      status: 'failed',
      attempts: 0,
    });
    expect((await client.post(`/events/${later}/resend`, { endpointId: broken.id })).body.code).toBe(
      'WEBHOOK_ENDPOINT_DISABLED',
    );

    const metrics = (await request(suite.app.http).get('/metrics')).text;
    expect(metrics).toMatch(/^payment_service_disabled_webhook_endpoints [1-9]\d*$/m);

    failing.respond({ kind: 'answer', status: 200 });
    const failedAttempts = failing.deliveriesOf(eventId).length;
    await client.patch(`/webhook-endpoints/${broken.id}`, { disabled: false }).expect(200);
    const recovered = await client.post(`/webhook-endpoints/${broken.id}/recover`, {
      since: new Date(Date.now() - HOUR).toISOString(),
    });
    expect(recovered.status).toBe(202);
    expect((recovered.body as { deliveryIds: string[] }).deliveryIds).toHaveLength(2);
    await failing.waitForDeliveries(later);
    await failing.waitForDeliveries(eventId, failedAttempts + 1);
  });

  it('resends an event now, to every subscribed endpoint or to one, under the same webhook-id', async () => {
    const client = new TestClient({ app: suite.app });
    const [one, two] = [await receiver(), await receiver()];
    const first = await registerEndpoint(client, one.url, ['payment.succeeded']);
    await registerEndpoint(client, two.url, ['refund.*']);
    const [eventId] = await recordEvents(suite.app, [
      paymentEvent(client.tenantId, await insertPayment(suite.app, client.tenantId), 'succeeded'),
    ]);
    await one.waitForDeliveries(eventId);
    const resent = await client.post(`/events/${eventId}/resend`, {});
    expect(resent.status).toBe(202);
    expect((resent.body as { deliveryIds: string[] }).deliveryIds).toHaveLength(1);
    await one.waitForDeliveries(eventId, 2);
    expect((await client.post(`/events/${eventId}/resend`, { endpointId: first.id })).status).toBe(202);
    const deliveries = await one.waitForDeliveries(eventId, 3);
    for (const delivery of deliveries)
      expect(verifyDelivery(first.secret, delivery)).toMatchObject({ id: eventId });
    expect(two.received).toEqual([]);
  });
});
