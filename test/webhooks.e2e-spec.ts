import { randomUUID } from 'node:crypto';
import request from 'supertest';
import { DataSource } from 'typeorm';
import { createPaymentsHarness, PaymentsHarness, stripeClientFor } from './support/payments-app';
import { ReconciliationService } from '../src/reconciliation/reconciliation.service';
import {
  deliver,
  intentEvent,
  nowSeconds,
  signatureFor,
  stripeEvent,
  waitFor,
  WEBHOOK_SECRET,
} from './support/stripe-events';
import { TestClient } from './support/test-client';
import { bearer, signToken } from './support/tokens';

const ROTATED_OUT_SECRET = 'whsec_previous_one';

describe('Stripe webhooks', () => {
  let harness: PaymentsHarness;
  let db: DataSource;
  let client: TestClient;
  const admin = bearer(signToken({ roles: ['admin'] }));

  beforeAll(async () => {
    harness = await createPaymentsHarness({
      // Rotation: the new secret is listed second, and either one verifies.
      STRIPE_WEBHOOK_SECRET: `${ROTATED_OUT_SECRET},${WEBHOOK_SECRET}`,
      WEBHOOK_MAX_ATTEMPTS: '3',
      WEBHOOK_SWEEP_INTERVAL_SECONDS: '1',
    });
    db = harness.app.app.get(DataSource);
  });
  beforeEach(() => {
    client = new TestClient({ app: harness.app });
  });
  afterAll(() => harness.close());

  const inboxRow = async (eventId: string) => {
    const rows = await db.query<Array<{ status: string; attempts: number; error: string | null }>>(
      'SELECT status, attempts, error FROM webhook_inbox WHERE event_id = $1',
      [eventId],
    );
    return rows[0];
  };
  const statusOf = async (eventId: string) => (await inboxRow(eventId))?.status;
  const untilStatus = (eventId: string, ...statuses: string[]) =>
    waitFor(`${eventId} to be ${statuses.join('|')}`, async () =>
      statuses.includes((await statusOf(eventId)) ?? ''),
    );
  const sequenceOf = (paymentId: string) =>
    db.query<Array<{ sequence_number: number; event_id: string }>>(
      'SELECT sequence_number, event_id FROM payment_event_sequence WHERE payment_id = $1 ORDER BY sequence_number',
      [paymentId],
    );
  const payment = async (id: string) =>
    (await client.get(`/payments/${id}`)).body as { status: string; amountRefunded: number };

  describe('signature', () => {
    const payloadOf = () =>
      JSON.stringify(stripeEvent('customer.created', { id: 'cus_x', object: 'customer' }));
    const post = (payload: string, signature?: string) => {
      const call = request(harness.app.http).post('/webhooks/stripe').set('Content-Type', 'application/json');
      return (signature === undefined ? call : call.set('Stripe-Signature', signature)).send(payload);
    };

    it.each([
      ['missing', (payload: string) => [payload, undefined]],
      [
        'signed with another secret',
        (payload: string) => [payload, signatureFor(payload, { secret: 'whsec_other' })],
      ],
      // Ten seconds past the 300 s tolerance, so a second boundary crossed mid-test cannot matter.
      ['stale', (payload: string) => [payload, signatureFor(payload, { timestamp: nowSeconds() - 310 })]],
      [
        'from the future',
        (payload: string) => [payload, signatureFor(payload, { timestamp: nowSeconds() + 310 })],
      ],
      ['malformed', (payload: string) => [payload, 'this is not a signature']],
      ['without a timestamp', (payload: string) => [payload, signatureFor(payload).replace(/t=\d+,/, '')]],
      [
        'of a re-serialised body',
        (payload: string) => [JSON.stringify(JSON.parse(payload), null, 2), signatureFor(payload)],
      ],
    ] as Array<[string, (payload: string) => [string, string | undefined]]>)(
      'refuses a signature %s: 400 WEBHOOK_SIGNATURE_INVALID, nothing stored',
      async (_case, build) => {
        const payload = payloadOf();
        const [body, signature] = build(payload);
        const response = await post(body, signature);
        expect(response.status).toBe(400);
        expect(response.body).toEqual({
          statusCode: 400,
          code: 'WEBHOOK_SIGNATURE_INVALID',
          message: expect.any(String),
        });
        expect(await inboxRow((JSON.parse(payload) as { id: string }).id)).toBeUndefined();
      },
    );

    it('keeps an event raw on every spelling of its route: a deeply nested one to /webhooks/stripe/', async () => {
      // Deeper than the 16 levels any API body may nest: Stripe's bytes are never judged by those rules.
      let nested: Record<string, unknown> = { leaf: true };
      for (let level = 0; level < 20; level += 1) nested = { nested };
      const event = stripeEvent('customer.created', { id: 'cus_x', object: 'customer', metadata: nested });
      const payload = JSON.stringify(event);
      const response = await request(harness.app.http)
        .post('/webhooks/stripe/')
        .set('Content-Type', 'application/json')
        .set('Stripe-Signature', signatureFor(payload))
        .send(payload);
      expect(response.status).toBe(200);
      expect(response.body).toEqual({ received: true });
      expect(await inboxRow(event.id)).toBeDefined();
    });

    it.each([
      ['as text/plain', 'text/plain'],
      ['as a form', 'application/x-www-form-urlencoded'],
      ['as XML', 'application/xml'],
    ])(
      'refuses a validly signed event sent %s: 415 UNSUPPORTED_MEDIA_TYPE, nothing stored',
      async (_case, contentType) => {
        const payload = payloadOf();
        const response = await request(harness.app.http)
          .post('/webhooks/stripe')
          .set('Content-Type', contentType)
          .set('Stripe-Signature', signatureFor(payload))
          .send(payload);
        expect(response.status).toBe(415);
        expect(response.body).toEqual({
          statusCode: 415,
          code: 'UNSUPPORTED_MEDIA_TYPE',
          message: 'Stripe events are sent as application/json',
        });
        expect(await inboxRow((JSON.parse(payload) as { id: string }).id)).toBeUndefined();
      },
    );

    it('accepts two v1 signatures when one matches, and a secret being rotated out', async () => {
      const payload = payloadOf();
      const good = signatureFor(payload);
      const [timestamp, v1] = good.split(',');
      const twoSignatures = `${timestamp},v1=${'0'.repeat(64)},${v1}`;
      expect((await post(payload, twoSignatures)).body).toEqual({ received: true });

      const older = payloadOf();
      const response = await post(older, signatureFor(older, { secret: ROTATED_OUT_SECRET }));
      expect(response.status).toBe(200);
    });

    it('accepts a timestamp within the tolerance either way', async () => {
      for (const skew of [-290, 290]) {
        const payload = payloadOf();
        expect((await post(payload, signatureFor(payload, { timestamp: nowSeconds() + skew }))).status).toBe(
          200,
        );
      }
    });
  });

  /** A refund made at Stripe by another integration, and the charge.refunded event Stripe sent for it. */
  async function refundedOutside(paymentIntentId: string, amount: number) {
    const refund = await stripeClientFor(harness.emulator).refunds.create({
      payment_intent: paymentIntentId,
      amount,
    });
    const event = harness.emulator
      .events()
      .find(
        (candidate) =>
          candidate.type === 'charge.refunded' &&
          (candidate.data.object as { payment_intent: string }).payment_intent === paymentIntentId,
      );
    if (!event) throw new Error(`Stripe sent no charge.refunded for ${paymentIntentId}`);
    return { refund, event };
  }

  it('twenty concurrent deliveries of one event: one row, one applied effect, one sequence entry', async () => {
    const paid = await client.paidPayment(1000);
    const { refund, event } = await refundedOutside(paid.stripePaymentIntentId, 300);
    const responses = await Promise.all(Array.from({ length: 20 }, () => deliver(harness.app, event)));
    expect(responses.map((response) => response.status)).toEqual(Array(20).fill(200));
    expect(responses.filter((response) => response.body.duplicate !== true)).toHaveLength(1);
    await untilStatus(event.id, 'processed');

    const [{ count }] = await db.query<Array<{ count: string }>>(
      'SELECT count(*) FROM webhook_inbox WHERE event_id = $1',
      [event.id],
    );
    expect(count).toBe('1');
    expect(await sequenceOf(paid.id)).toEqual([{ sequence_number: 1, event_id: event.id }]);
    const refunds = await db.query<
      Array<{ amount: number; user_id: string | null; stripe_refund_id: string }>
    >('SELECT amount, user_id, stripe_refund_id FROM refunds WHERE payment_id = $1', [paid.id]);
    expect(refunds).toEqual([{ amount: 300, user_id: null, stripe_refund_id: refund.id }]);
    expect(await payment(paid.id)).toMatchObject({ status: 'partially_refunded', amountRefunded: 300 });
  });

  it('a refund made outside the API (charge.refunded) caps what the API may still refund', async () => {
    const paid = await client.paidPayment(1000);
    const { event } = await refundedOutside(paid.stripePaymentIntentId, 700);
    expect((await deliver(harness.app, event)).status).toBe(200);
    await untilStatus(event.id, 'processed');

    const tooMuch = await client.post('/refunds', { paymentId: paid.id, amount: 400 });
    expect(tooMuch.status).toBe(422);
    expect(tooMuch.body).toMatchObject({ code: 'REFUND_EXCEEDS_PAYMENT', details: { remaining: 300 } });
    const rest = await client.post('/refunds', { paymentId: paid.id });
    expect(rest.status).toBe(201);
    expect(rest.body).toMatchObject({ amount: 300 });
    expect(await payment(paid.id)).toMatchObject({ status: 'refunded', amountRefunded: 1000 });
  });

  it('ignores a PaymentIntent that is not ours and a type it does not handle', async () => {
    const foreign = intentEvent('payment_intent.succeeded', { id: 'pi_not_ours_at_all' });
    const unhandled = stripeEvent('customer.created', { id: 'cus_1', object: 'customer' });
    expect((await deliver(harness.app, foreign)).status).toBe(200);
    expect((await deliver(harness.app, unhandled)).status).toBe(200);
    await untilStatus(foreign.id, 'ignored');
    await untilStatus(unhandled.id, 'ignored');
  });

  it('acknowledges at once while the handler is held up (the payment row locked)', async () => {
    const paid = await client.paidPayment(1000);
    const holder = db.createQueryRunner();
    await holder.connect();
    await holder.startTransaction();
    try {
      await holder.query('SELECT id FROM payment_transactions WHERE id = $1 FOR UPDATE', [paid.id]);
      const { event } = await refundedOutside(paid.stripePaymentIntentId, 100);
      const startedAt = Date.now();
      const response = await deliver(harness.app, event);
      expect(response.status).toBe(200);
      expect(Date.now() - startedAt).toBeLessThan(2000);
      await untilStatus(event.id, 'processing');
      await holder.rollbackTransaction();
      await untilStatus(event.id, 'processed');
    } finally {
      if (holder.isTransactionActive) await holder.rollbackTransaction();
      await holder.release();
    }
  });

  it('ignores at once a PaymentIntent naming a payment we have no row for, and an event without data', async () => {
    // Our row is committed before Stripe is called: metadata naming no row of ours is another deployment's.
    const foreign = intentEvent('payment_intent.succeeded', {
      id: `pi_staging_${randomUUID().slice(0, 8)}`,
      paymentId: randomUUID(),
    });
    const empty = { ...stripeEvent('payment_intent.succeeded', {}), data: undefined };
    for (const event of [foreign, empty]) expect((await deliver(harness.app, event)).status).toBe(200);

    await untilStatus(foreign.id, 'ignored');
    await untilStatus(empty.id, 'ignored');
    expect(await inboxRow(foreign.id)).toMatchObject({
      attempts: 1,
      error: expect.stringContaining('not one of ours'),
    });
    expect(await inboxRow(empty.id)).toMatchObject({
      attempts: 1,
      error: expect.stringContaining('no data.object'),
    });
  });

  it('an event Stripe cannot be asked about yet is retried with backoff, then dead; replayed once Stripe answers', async () => {
    const paid = await client.paidPayment(1000);
    const { event } = await refundedOutside(paid.stripePaymentIntentId, 100);
    // Every read of the refunds fails: Stripe is unreachable for longer than the attempts last.
    harness.emulator.failNext(100, 503, { method: 'GET', path: '/v1/refunds' });
    const startedAt = Date.now();
    expect((await deliver(harness.app, event)).status).toBe(200);
    await untilStatus(event.id, 'dead');
    // Three attempts, 1 s then 2 s apart.
    expect(Date.now() - startedAt).toBeGreaterThanOrEqual(2500);
    expect(await inboxRow(event.id)).toMatchObject({
      attempts: 3,
      error: expect.stringContaining('StripeException'),
    });
    expect(await payment(paid.id)).toMatchObject({ amountRefunded: 0 });

    const listed = await request(harness.app.http).get('/admin/webhooks?status=dead&limit=100').set(admin);
    expect(listed.status).toBe(200);
    expect(
      (listed.body as { items: Array<{ eventId: string }> }).items.map((item) => item.eventId),
    ).toContain(event.id);

    harness.emulator.clearFaults();
    const replay = await request(harness.app.http).post(`/admin/webhooks/${event.id}/replay`).set(admin);
    expect(replay.status).toBe(202);
    expect(replay.body).toEqual({ eventId: event.id, status: 'queued' });
    await untilStatus(event.id, 'processed');
    expect(await payment(paid.id)).toMatchObject({ status: 'partially_refunded', amountRefunded: 100 });

    // Replaying a processed event changes nothing.
    const again = await request(harness.app.http).post(`/admin/webhooks/${event.id}/replay`).set(admin);
    expect(again.status).toBe(202);
    await untilStatus(event.id, 'processed');
    expect(await sequenceOf(paid.id)).toHaveLength(1);
  });

  it('a late `processing` does not take back a failure that reconciliation wrote without any event', async () => {
    const created = await client.post('/payments/process', {
      amount: 700,
      currency: 'usd',
      paymentMethodId: 'pm_card_processing',
    });
    expect(created.body.status).toBe('processing');
    const intentId = created.body.stripePaymentIntentId as string;
    harness.emulator.settlePaymentIntent(intentId, 'failed');
    await db.query(`UPDATE payment_transactions SET updated_at = now() - interval '1 hour' WHERE id = $1`, [
      created.body.id,
    ]);
    await harness.app.app.get(ReconciliationService).reconcile();
    expect(await payment(created.body.id as string)).toMatchObject({ status: 'failed' });

    const late = harness.emulator
      .events()
      .find(
        (event) =>
          event.type === 'payment_intent.processing' && (event.data.object as { id: string }).id === intentId,
      );
    expect((await deliver(harness.app, late as object)).status).toBe(200);
    await untilStatus((late as { id: string }).id, 'processed');

    expect(await payment(created.body.id as string)).toMatchObject({ status: 'failed' });
  });

  describe('admin routes', () => {
    it('are for admins only', async () => {
      const response = await request(harness.app.http).get('/admin/webhooks').set(client.headers);
      expect(response.status).toBe(403);
      const replay = await request(harness.app.http).post('/admin/webhooks/evt_x/replay').set(client.headers);
      expect(replay.status).toBe(403);
    });

    it('replay of an unknown event is 404', async () => {
      const response = await request(harness.app.http).post('/admin/webhooks/evt_unknown/replay').set(admin);
      expect(response.status).toBe(404);
      expect(response.body).toMatchObject({ code: 'WEBHOOK_EVENT_NOT_FOUND' });
    });

    it('pages through the inbox by type without gaps or repeats', async () => {
      const type = `test.paging_${randomUUID().slice(0, 8).replaceAll('-', '')}`;
      const sent = [];
      for (let index = 0; index < 7; index += 1) {
        const event = stripeEvent(type, { id: `obj_${index}` });
        expect((await deliver(harness.app, event)).status).toBe(200);
        sent.push(event.id);
      }
      const seen: string[] = [];
      let cursor: string | null = null;
      do {
        const query: string = `/admin/webhooks?type=${type}&limit=3${cursor ? `&cursor=${cursor}` : ''}`;
        const page = await request(harness.app.http).get(query).set(admin);
        expect(page.status).toBe(200);
        const body = page.body as {
          items: Array<{ eventId: string; type: string }>;
          nextCursor: string | null;
        };
        expect(body.items.length).toBeLessThanOrEqual(3);
        seen.push(...body.items.map((item) => item.eventId));
        cursor = body.nextCursor;
      } while (cursor);
      expect([...seen].sort()).toEqual([...sent].sort());
    });

    it.each([
      ['limit=0'],
      ['limit=101'],
      ['limit=abc'],
      ['status=lost'],
      ['cursor=%25%25'],
      // The cursor's shape, with a time past what PostgreSQL's bigint holds.
      [`cursor=${Buffer.from('99999999999999999999:evt_1').toString('base64url')}`],
      ['unknown=1'],
    ])('refuses ?%s with 400', async (query) => {
      const response = await request(harness.app.http).get(`/admin/webhooks?${query}`).set(admin);
      expect(response.status).toBe(400);
      expect(response.body).toMatchObject({ code: 'VALIDATION_FAILED' });
    });
  });
});
