import { randomUUID } from 'node:crypto';
import request from 'supertest';
import { DataSource } from 'typeorm';
import { TransactionRunner } from '../src/database/transaction-runner';
import { EventOutbox } from '../src/events';
import { eventIds, insertPayment, paymentEvent, recordEvents } from './support/tenant-events';
import { createTestApp, TestApp } from './support/test-app';
import { TestClient } from './support/test-client';
import { WebhookReceiver } from './support/webhook-receiver';

describe('Tenant events: the outbox and GET /events', () => {
  let app: TestApp;
  let db: DataSource;

  beforeAll(async () => {
    app = await createTestApp({
      env: { OUTGOING_WEBHOOK_SWEEP_INTERVAL_SECONDS: '1', OUTGOING_WEBHOOK_TIMEOUT_MS: '2000' },
    });
    db = app.app.get(DataSource);
  });
  afterAll(async () => {
    await app?.close();
  });

  it('records events with a sequence strictly increasing per payment, and lists them newest first', async () => {
    const client = new TestClient({ app });
    const paymentId = await insertPayment(app, client.tenantId);
    const [first] = await recordEvents(app, [paymentEvent(client.tenantId, paymentId, 'processing', null)]);
    const [second, third] = await recordEvents(app, [
      paymentEvent(client.tenantId, paymentId, 'succeeded'),
      { ...paymentEvent(client.tenantId, paymentId, 'partially_refunded', 'succeeded') },
    ]);

    const listed = await client.get('/events');
    expect(listed.status).toBe(200);
    expect(eventIds(listed)).toEqual([third, second, first]);
    expect(
      (listed.body as { data: Array<{ sequence: number }> }).data.map((event) => event.sequence),
    ).toEqual([3, 2, 1]);
    expect(listed.body.nextCursor).toBeNull();

    const one = await client.get(`/events/${second}`);
    expect(one.status).toBe(200);
    expect(Object.keys(one.body)).toEqual(['id', 'type', 'createdAt', 'sequence', 'data', 'cause']);
    expect(one.body).toMatchObject({
      id: second,
      type: 'payment.succeeded',
      sequence: 2,
      data: { object: { id: paymentId, status: 'succeeded' }, previousStatus: 'processing' },
      cause: { kind: 'request', requestId: 'req-1' },
    });
  });

  it('never records an event whose transaction rolls back, and never delivers it', async () => {
    const client = new TestClient({ app });
    const receiver = await WebhookReceiver.start();
    try {
      expect(
        (await client.post('/webhook-endpoints', { url: receiver.url, enabledEvents: ['*'] })).status,
      ).toBe(201);
      const paymentId = await insertPayment(app, client.tenantId);
      let recorded = '';
      await expect(
        app.app.get(TransactionRunner).run(async (transaction) => {
          recorded = await app.app
            .get(EventOutbox)
            .record(transaction, paymentEvent(client.tenantId, paymentId, 'failed'));
          throw new Error('the change failed');
        }),
      ).rejects.toThrow('the change failed');
      // Relayed anyway (a caller's bug): there is nothing to relay.
      app.app.get(EventOutbox).relay([recorded]);
      const [committed] = await recordEvents(app, [paymentEvent(client.tenantId, paymentId, 'succeeded')]);
      await receiver.waitForDeliveries(committed);
      expect(receiver.deliveriesOf(recorded)).toEqual([]);
      expect((await client.get(`/events/${recorded}`)).status).toBe(404);
      const [row] = await db.query<Array<{ count: number }>>(
        'SELECT count(*)::int AS count FROM events WHERE id = $1',
        [recorded],
      );
      expect(row.count).toBe(0);
      // The committed one is numbered 1: the rolled-back one took no number.
      expect((await client.get(`/events/${committed}`)).body.sequence).toBe(1);
    } finally {
      await receiver.close();
    }
  });

  it('delivers an event committed but never relayed: the sweeper relays it', async () => {
    const client = new TestClient({ app });
    const receiver = await WebhookReceiver.start();
    try {
      expect(
        (await client.post('/webhook-endpoints', { url: receiver.url, enabledEvents: ['payment.*'] })).status,
      ).toBe(201);
      const paymentId = await insertPayment(app, client.tenantId);
      const [eventId] = await recordEvents(app, [paymentEvent(client.tenantId, paymentId, 'succeeded')], {
        relay: false,
      });
      await receiver.waitForDeliveries(eventId);
      const [row] = await db.query<Array<{ relayed: boolean }>>(
        'SELECT relayed_at IS NOT NULL AS relayed FROM events WHERE id = $1',
        [eventId],
      );
      expect(row.relayed).toBe(true);
    } finally {
      await receiver.close();
    }
  });

  it('never shows another tenant’s events', async () => {
    const owner = new TestClient({ app });
    const other = new TestClient({ app });
    const paymentId = await insertPayment(app, owner.tenantId);
    const [eventId] = await recordEvents(app, [paymentEvent(owner.tenantId, paymentId, 'succeeded')]);
    expect((await other.get(`/events/${eventId}`)).status).toBe(404);
    expect((await other.get(`/events/${eventId}`)).body.code).toBe('EVENT_NOT_FOUND');
    expect((await other.get('/events')).body.data).toEqual([]);
    expect((await other.get(`/events?paymentId=${paymentId}`)).body.data).toEqual([]);
    expect((await owner.get(`/events?paymentId=${paymentId}`)).body.data).toHaveLength(1);
  });

  it('filters by type, payment and creation time, and pages with a cursor', async () => {
    const client = new TestClient({ app });
    const payments = [await insertPayment(app, client.tenantId), await insertPayment(app, client.tenantId)];
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) {
      const status = i % 2 === 0 ? 'succeeded' : 'refunded';
      ids.push(...(await recordEvents(app, [paymentEvent(client.tenantId, payments[i % 2], status)])));
    }
    const pages: string[][] = [];
    let cursor: string | null = null;
    do {
      const page = await client.get(`/events?limit=2${cursor ? `&cursor=${cursor}` : ''}`);
      expect(page.status).toBe(200);
      pages.push(eventIds(page));
      cursor = page.body.nextCursor;
    } while (cursor);
    expect(pages.map((page) => page.length)).toEqual([2, 2, 1]);
    expect(pages.flat()).toEqual([...ids].reverse());

    const succeeded = await client.get('/events?type=payment.succeeded');
    expect(succeeded.body.data).toHaveLength(3);
    const ofFirst = await client.get(`/events?paymentId=${payments[1]}`);
    expect(eventIds(ofFirst)).toEqual([ids[3], ids[1]]);
    const { createdAt } = (await client.get(`/events/${ids[2]}`)).body as { createdAt: string };
    const since = await client.get(`/events?createdFrom=${encodeURIComponent(createdAt)}`);
    expect(eventIds(since)).toEqual([ids[4], ids[3], ids[2]]);
    const until = await client.get(`/events?createdTo=${encodeURIComponent(createdAt)}`);
    expect(eventIds(until)).toEqual([ids[2], ids[1], ids[0]]);
  });

  it.each([
    ['/events?limit=0', 'limit'],
    ['/events?limit=101', 'limit'],
    ['/events?limit=abc', 'limit'],
    ['/events?limit=1&limit=2', 'limit'],
    ['/events?type=payment.exploded', 'type'],
    ['/events?paymentId=not-a-uuid', 'paymentId'],
    ['/events?createdFrom=yesterday', 'createdFrom'],
    // ISO 8601, but no instant Date reads the same everywhere (a week date, no offset): not a 500.
    ['/events?createdFrom=2026-W01-1', 'createdFrom'],
    ['/events?createdTo=20261205T134000Z', 'createdTo'],
    ['/events?createdTo=2026-12-05T13:40:00', 'createdTo'],
    ['/events?cursor=%24%24', 'cursor'],
    [`/events?cursor=${Buffer.from('123:nope').toString('base64url')}`, 'cursor'],
    ['/events?unknown=1', 'unknown'],
    ['/events/not-a-uuid', 'id'],
  ])('refuses %s with 400 VALIDATION_FAILED naming %s', async (path, field) => {
    const response = await new TestClient({ app }).get(path);
    expect(response.status).toBe(400);
    expect(response.body.code).toBe('VALIDATION_FAILED');
    expect(JSON.stringify(response.body.details.fields)).toContain(field);
  });

  it('answers 401 without a token and 404 for an unknown event', async () => {
    expect((await request(app.http).get('/events')).status).toBe(401);
    const client = new TestClient({ app });
    expect((await client.get(`/events/${randomUUID()}`)).body.code).toBe('EVENT_NOT_FOUND');
  });
});
