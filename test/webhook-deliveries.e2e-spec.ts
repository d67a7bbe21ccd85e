import request from 'supertest';
import { deliverySuite, deliveryOf, makeDue, registerEndpoint, waitForAttempts } from './support/deliveries';
import { eventIds, insertPayment, paymentEvent, recordEvents } from './support/tenant-events';
import { TestClient } from './support/test-client';
import { verifyDelivery } from './support/webhook-receiver';

const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;

/** The wait an attempt left before the next one. */
const delayAfter = (entry: { at: string; nextAttemptAt: string | null }) =>
  entry.nextAttemptAt === null ? null : Date.parse(entry.nextAttemptAt) - Date.parse(entry.at);

describe('Webhook deliveries to tenants’ endpoints', () => {
  const suite = deliverySuite();
  const { receiver } = suite;

  it('delivers each event signed (Standard Webhooks), the body being the event as GET /events/:id shows it', async () => {
    const client = new TestClient({ app: suite.app });
    const hooks = await receiver();
    const endpoint = await registerEndpoint(client, hooks.url, ['payment.*', 'refund.*']);
    const paymentId = await insertPayment(suite.app, client.tenantId);
    const statuses = ['processing', 'succeeded', 'partially_refunded', 'refunded'];
    const ids: string[] = [];
    let previous: string | null = null;
    for (const status of statuses) {
      ids.push(
        ...(await recordEvents(suite.app, [paymentEvent(client.tenantId, paymentId, status, previous)])),
      );
      previous = status;
    }
    for (const [index, id] of ids.entries()) {
      const [delivery] = await hooks.waitForDeliveries(id);
      const event = verifyDelivery(endpoint.secret, delivery);
      expect(event).toMatchObject({ id, type: `payment.${statuses[index]}`, sequence: index + 1 });
      expect(delivery.headers['content-type']).toBe('application/json');
      expect(delivery.headers['webhook-id']).toBe(id);
      expect(Math.abs(Number(delivery.headers['webhook-timestamp']) - Date.now() / 1000)).toBeLessThan(30);
      expect(delivery.body).toBe((await client.get(`/events/${id}`)).text);
    }
  });

  it('retries on the schedule while the receiver is down, then delivers every event, with one webhook-id each', async () => {
    const client = new TestClient({ app: suite.app });
    const hooks = await receiver();
    hooks.respond({ kind: 'answer', status: 503, body: 'down for maintenance' });
    const endpoint = await registerEndpoint(client, hooks.url);
    const paymentId = await insertPayment(suite.app, client.tenantId);
    const ids = await recordEvents(suite.app, [
      paymentEvent(client.tenantId, paymentId, 'processing', null),
      paymentEvent(client.tenantId, paymentId, 'succeeded'),
    ]);
    const [watched] = ids;
    const expected = [5 * SECOND, 5 * MINUTE, 30 * MINUTE, 2 * HOUR, 5 * HOUR, 10 * HOUR, 10 * HOUR];
    for (let attempt = 1; attempt <= expected.length; attempt++) {
      const row = await waitForAttempts(suite.app, watched, endpoint.id, attempt);
      const entry = row.attempt_log.at(-1);
      expect(entry).toMatchObject({ attempt, statusCode: 503, error: 'HTTP 503: down for maintenance' });
      // Scheduled by the database clock, to the millisecond.
      expect(Math.abs((delayAfter(entry!) ?? 0) - expected[attempt - 1])).toBeLessThan(50);
      expect(row.status).toBe('pending');
      await makeDue(suite.app, row.id);
    }
    hooks.respond({ kind: 'answer', status: 204 });
    // The other event is due too once its time has come.
    await makeDue(suite.app, (await deliveryOf(suite.app, ids[1], endpoint.id))!.id);
    for (const id of ids) await hooks.waitForDeliveries(id, id === watched ? expected.length + 1 : 2);
    await expect(
      waitForAttempts(suite.app, watched, endpoint.id, expected.length + 1),
    ).resolves.toMatchObject({
      status: 'succeeded',
      next_attempt_at: null,
    });
    const attempts = hooks.deliveriesOf(watched);
    expect(new Set(attempts.map((delivery) => delivery.headers['webhook-id']))).toEqual(new Set([watched]));
    for (const delivery of attempts)
      expect(verifyDelivery(endpoint.secret, delivery)).toMatchObject({ id: watched });

    const listed = await client.get(`/webhook-endpoints/${endpoint.id}/deliveries?status=succeeded`);
    expect(listed.status).toBe(200);
    const mine = (
      listed.body as { data: Array<{ eventId: string; attempts: number; attemptLog: unknown[] }> }
    ).data;
    expect(mine.find((delivery) => delivery.eventId === watched)).toMatchObject({
      attempts: expected.length + 1,
      attemptLog: expect.arrayContaining([
        expect.objectContaining({ statusCode: 204, error: null, nextAttemptAt: null }),
      ]),
    });
  });

  it('gives up 3 days after the event: the delivery is failed, with no next attempt', async () => {
    const client = new TestClient({ app: suite.app });
    const hooks = await receiver();
    hooks.respond({ kind: 'answer', status: 500 });
    const endpoint = await registerEndpoint(client, hooks.url);
    const [eventId] = await recordEvents(suite.app, [
      paymentEvent(client.tenantId, await insertPayment(suite.app, client.tenantId), 'failed'),
    ]);
    const first = await waitForAttempts(suite.app, eventId, endpoint.id, 1);
    // Nearly three days have passed since the event: the next attempt would fall past them.
    await suite.db.query(
      `UPDATE webhook_deliveries SET give_up_at = now() + interval '1 minute', next_attempt_at = now() WHERE id = $1`,
      [first.id],
    );
    const last = await waitForAttempts(suite.app, eventId, endpoint.id, 2);
    expect(last).toMatchObject({ status: 'failed', next_attempt_at: null });
    expect(last.attempt_log.at(-1)).toMatchObject({ attempt: 2, statusCode: 500, nextAttemptAt: null });
    const failed = await client.get(`/webhook-endpoints/${endpoint.id}/deliveries?status=failed`);
    expect(
      eventIds({
        body: {
          data: (failed.body as { data: Array<{ eventId: string }> }).data.map((d) => ({ id: d.eventId })),
        },
      }),
    ).toEqual([eventId]);
  });

  it('does not follow a redirect', async () => {
    const client = new TestClient({ app: suite.app });
    const elsewhere = await receiver();
    const redirecting = await receiver();
    redirecting.respond({ kind: 'answer', status: 307, headers: { location: elsewhere.url } });
    const endpoint = await registerEndpoint(client, redirecting.url);
    const [eventId] = await recordEvents(suite.app, [
      paymentEvent(client.tenantId, await insertPayment(suite.app, client.tenantId), 'succeeded'),
    ]);
    const row = await waitForAttempts(suite.app, eventId, endpoint.id, 1);
    expect(row.attempt_log[0]).toMatchObject({
      statusCode: 307,
      error: `HTTP 307 (redirect to ${elsewhere.url} not followed)`,
    });
    expect(row.status).toBe('pending');
    expect(elsewhere.received).toEqual([]);
  });

  it('reads at most 64 KiB of an answer, and gives up on a receiver that does not answer in time', async () => {
    const client = new TestClient({ app: suite.app });
    const chatty = await receiver();
    chatty.respond({ kind: 'answer', status: 500, body: 'x'.repeat(1024 * 1024) });
    const silent = await receiver();
    silent.respond({ kind: 'hang' });
    const toChatty = await registerEndpoint(client, chatty.url);
    const toSilent = await registerEndpoint(client, silent.url);
    const [eventId] = await recordEvents(suite.app, [
      paymentEvent(client.tenantId, await insertPayment(suite.app, client.tenantId), 'succeeded'),
    ]);
    const [chattyRow, silentRow] = await Promise.all([
      waitForAttempts(suite.app, eventId, toChatty.id, 1),
      waitForAttempts(suite.app, eventId, toSilent.id, 1),
    ]);
    expect(chattyRow.attempt_log[0].error).toBe(`HTTP 500: ${'x'.repeat(200)}`);
    expect(silentRow.attempt_log[0]).toMatchObject({
      statusCode: null,
      error: 'Error: no answer within 1000 ms',
    });
    expect(silentRow.attempt_log[0].durationMs).toBeGreaterThanOrEqual(1000);
    expect(silentRow.attempt_log[0].durationMs).toBeLessThan(3000);
  });

  it('never delivers one tenant’s events to another tenant’s endpoints', async () => {
    const tenantA = new TestClient({ app: suite.app });
    const tenantB = new TestClient({ app: suite.app });
    const [hooksA, hooksB] = [await receiver(), await receiver()];
    await registerEndpoint(tenantA, hooksA.url);
    await registerEndpoint(tenantB, hooksB.url);
    const [eventA] = await recordEvents(suite.app, [
      paymentEvent(tenantA.tenantId, await insertPayment(suite.app, tenantA.tenantId), 'succeeded'),
    ]);
    const [eventB] = await recordEvents(suite.app, [
      paymentEvent(tenantB.tenantId, await insertPayment(suite.app, tenantB.tenantId), 'succeeded'),
    ]);
    await Promise.all([hooksA.waitForDeliveries(eventA), hooksB.waitForDeliveries(eventB)]);
    expect(hooksA.received.map((delivery) => delivery.headers['webhook-id'])).toEqual([eventA]);
    expect(hooksB.received.map((delivery) => delivery.headers['webhook-id'])).toEqual([eventB]);
    expect((await tenantB.post(`/events/${eventA}/resend`, {})).body.code).toBe('EVENT_NOT_FOUND');
  });

  it('signs with both secrets during a rotation’s overlap, and with the new one alone after it', async () => {
    const client = new TestClient({ app: suite.app });
    const hooks = await receiver();
    const endpoint = await registerEndpoint(client, hooks.url);
    const rotated = (await client.post(`/webhook-endpoints/${endpoint.id}/rotate-secret`, {})).body as {
      secret: string;
    };
    const paymentId = await insertPayment(suite.app, client.tenantId);
    const [during] = await recordEvents(suite.app, [paymentEvent(client.tenantId, paymentId, 'succeeded')]);
    const [duringDelivery] = await hooks.waitForDeliveries(during);
    expect(String(duringDelivery.headers['webhook-signature']).split(' ')).toHaveLength(2);
    expect(verifyDelivery(endpoint.secret, duringDelivery)).toMatchObject({ id: during });
    expect(verifyDelivery(rotated.secret, duringDelivery)).toMatchObject({ id: during });

    // 24 hours later.
    await suite.db.query(
      `UPDATE webhook_endpoints SET previous_secret_expires_at = now() - interval '1 second' WHERE id = $1`,
      [endpoint.id],
    );
    const [after] = await recordEvents(suite.app, [
      paymentEvent(client.tenantId, paymentId, 'refunded', 'succeeded'),
    ]);
    const [afterDelivery] = await hooks.waitForDeliveries(after);
    expect(String(afterDelivery.headers['webhook-signature']).split(' ')).toHaveLength(1);
    expect(verifyDelivery(rotated.secret, afterDelivery)).toMatchObject({ id: after });
    expect(() => verifyDelivery(endpoint.secret, afterDelivery)).toThrow('No matching signature found');
  });

  it('shows the deliveries in /metrics', async () => {
    const metrics = (await request(suite.app.http).get('/metrics')).text;
    expect(metrics).toMatch(/^payment_service_webhook_deliveries_total\{outcome="succeeded"\} [1-9]\d*$/m);
    expect(metrics).toMatch(/^payment_service_webhook_deliveries_total\{outcome="retrying"\} [1-9]\d*$/m);
    expect(metrics).toMatch(/^payment_service_webhook_deliveries_total\{outcome="failed"\} [1-9]\d*$/m);
    expect(metrics).toMatch(/^payment_service_webhook_delivery_duration_seconds_count [1-9]\d*$/m);
    expect(metrics).toMatch(/^payment_service_oldest_undelivered_event_age_seconds \d/m);
  });
});
