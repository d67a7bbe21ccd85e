import { randomUUID } from 'node:crypto';
import { fieldsOf, PaymentsHarness, usePaymentsHarness } from './support/payments-app';
import { TestClient } from './support/test-client';

describe('Refunds', () => {
  const current = usePaymentsHarness();
  let harness: PaymentsHarness;
  let client: TestClient;
  beforeEach(() => ({ harness, client } = current()));

  /** Stripe answers the next refund with a definite 400 of the given code. */
  const refuseNextRefund = (code: string) =>
    harness.emulator.injectFault({
      kind: 'fail',
      status: 400,
      type: 'invalid_request_error',
      code,
      method: 'POST',
      path: '/v1/refunds',
    });

  const refundedAtStripe = (paymentIntentId: string) =>
    harness.emulator
      .refunds()
      .filter((refund) => refund.payment_intent === paymentIntentId)
      .reduce((sum, refund) => sum + refund.amount, 0);

  it('refunds what is left when the amount is omitted; the payment becomes refunded and has nothing left', async () => {
    const payment = await client.paidPayment(1000);
    const response = await client.post('/refunds', {
      paymentId: payment.id,
      reason: 'requested_by_customer',
    });
    expect(response.status).toBe(201);
    expect(response.body).toEqual({
      id: expect.any(String),
      tenantId: client.tenantId,
      paymentId: payment.id,
      amount: 1000,
      currency: 'usd',
      status: 'succeeded',
      reason: 'requested_by_customer',
      failureReason: null,
      source: 'api',
      stripeRefundId: expect.stringMatching(/^re_/),
      createdAt: expect.any(String),
      updatedAt: expect.any(String),
    });
    expect(response.headers.location).toBe(`/refunds/${response.body.id}`);
    const after = await client.get(`/payments/${payment.id}`);
    expect(after.body).toMatchObject({ status: 'refunded', amountRefunded: 1000 });
    expect(refundedAtStripe(payment.stripePaymentIntentId)).toBe(1000);

    const again = await client.post('/refunds', { paymentId: payment.id });
    expect(again.status).toBe(422);
    expect(again.body).toMatchObject({ code: 'REFUND_EXCEEDS_PAYMENT', details: { remaining: 0 } });
  });

  it('refunds in parts: partially_refunded, then 422 REFUND_EXCEEDS_PAYMENT above what is left', async () => {
    const payment = await client.paidPayment(1000);
    expect((await client.post('/refunds', { paymentId: payment.id, amount: 300 })).status).toBe(201);
    const partial = await client.get(`/payments/${payment.id}`);
    expect(partial.body).toMatchObject({ status: 'partially_refunded', amountRefunded: 300 });

    const tooMuch = await client.post('/refunds', { paymentId: payment.id, amount: 701 });
    expect(tooMuch.status).toBe(422);
    expect(tooMuch.body).toMatchObject({ code: 'REFUND_EXCEEDS_PAYMENT', details: { remaining: 700 } });

    const rest = await client.post('/refunds', { paymentId: payment.id });
    expect(rest.body.amount).toBe(700);
    expect((await client.get(`/payments/${payment.id}`)).body).toMatchObject({
      status: 'refunded',
      amountRefunded: 1000,
    });
    expect(refundedAtStripe(payment.stripePaymentIntentId)).toBe(1000);
  });

  it('replays a refund retried with its key, refunding once', async () => {
    const payment = await client.paidPayment(1000);
    const key = randomUUID();
    const first = await client.post('/refunds', { paymentId: payment.id, amount: 100 }, key);
    const replay = await client.post('/refunds', { paymentId: payment.id, amount: 100 }, key);
    expect(replay.headers['idempotent-replayed']).toBe('true');
    expect(replay.text).toBe(first.text);
    expect(refundedAtStripe(payment.stripePaymentIntentId)).toBe(100);
  });

  it('answers 409 PAYMENT_NOT_REFUNDABLE for a payment that has not succeeded', async () => {
    const declined = await client.post('/payments/process', {
      amount: 1000,
      currency: 'usd',
      paymentMethodId: 'pm_card_chargeDeclined',
    });
    const response = await client.post('/refunds', { paymentId: declined.body.details.paymentId });
    expect(response.status).toBe(409);
    expect(response.body.code).toBe('PAYMENT_NOT_REFUNDABLE');
  });

  it('answers 404 for an unknown payment and for another tenant’s payment, refunding nothing', async () => {
    const foreign = await new TestClient({ app: harness.app }).paidPayment(1000);
    const unknown = await client.post('/refunds', { paymentId: randomUUID() });
    expect(unknown.status).toBe(404);
    expect(unknown.body.code).toBe('PAYMENT_NOT_FOUND');
    const crossTenant = await client.post('/refunds', { paymentId: foreign.id, amount: 1 });
    expect(crossTenant.status).toBe(404);
    expect(refundedAtStripe(foreign.stripePaymentIntentId)).toBe(0);
  });

  it.each([
    ['paymentId', { paymentId: 'nope' }],
    ['amount', { paymentId: randomUUID(), amount: 0 }],
    ['reason', { paymentId: randomUUID(), reason: 'bored' }],
  ])('rejects a bad %s with 400 VALIDATION_FAILED', async (field, body) => {
    const response = await client.post('/refunds', body);
    expect(response.status).toBe(400);
    expect(fieldsOf(response.body)).toContain(field);
  });

  it('lets exactly 3 of 12 concurrent refunds of 300 on a 1000 payment through; Stripe refunds 900', async () => {
    const payment = await client.paidPayment(1000);
    const responses = await Promise.all(
      Array.from({ length: 12 }, () => client.post('/refunds', { paymentId: payment.id, amount: 300 })),
    );
    const statuses = responses.map((response) => response.status).sort();
    expect(statuses.filter((status) => status === 201)).toHaveLength(3);
    // Refused while the others are pending (409, would fit if one failed) or once they settled (422).
    expect(statuses.filter((status) => status === 409 || status === 422)).toHaveLength(9);
    expect(refundedAtStripe(payment.stripePaymentIntentId)).toBe(900);
    expect((await client.get(`/payments/${payment.id}`)).body).toMatchObject({
      status: 'partially_refunded',
      amountRefunded: 900,
    });
  });

  it('never refunds more than the payment when Stripe fails in the middle of concurrent refunds', async () => {
    const payment = await client.paidPayment(1000);
    harness.emulator.failNext(2, 500, { method: 'POST', path: '/v1/refunds' });
    const responses = await Promise.all(
      Array.from({ length: 12 }, () => client.post('/refunds', { paymentId: payment.id, amount: 300 })),
    );
    // Three refunds fit and are reserved under the payment's lock; the first two reach Stripe
    // as 500s, an unknown outcome, so their 600 stays reserved and the other nine find 100 left:
    // they would fit only if a pending one failed, so each is 409 REFUND_IN_PROGRESS.
    const count = (status: number) => responses.filter((response) => response.status === status).length;
    expect({ created: count(201), unavailable: count(502), inProgress: count(409) }).toEqual({
      created: 1,
      unavailable: 2,
      inProgress: 9,
    });
    expect(refundedAtStripe(payment.stripePaymentIntentId)).toBe(300);
    const after = await client.get(`/payments/${payment.id}`);
    expect(after.body.amountRefunded).toBe(300);
    const wouldFitLater = await client.post('/refunds', { paymentId: payment.id, amount: 101 });
    expect(wouldFitLater.body).toMatchObject({ code: 'REFUND_IN_PROGRESS', details: { pending: 600 } });
    const neverFits = await client.post('/refunds', { paymentId: payment.id, amount: 701 });
    expect(neverFits.body).toMatchObject({ code: 'REFUND_EXCEEDS_PAYMENT', details: { remaining: 100 } });
  });

  it('keeps the amount reserved while Stripe’s answer is unknown, and the retry with the same key refunds', async () => {
    const payment = await client.paidPayment(1000);
    const key = randomUUID();
    harness.emulator.failNext(1, 503, { method: 'POST', path: '/v1/refunds' });
    const failed = await client.post('/refunds', { paymentId: payment.id }, key);
    expect(failed.status).toBe(502);
    expect(failed.body.code).toBe('PAYMENT_PROVIDER_UNAVAILABLE');
    expect((await client.get(`/payments/${payment.id}`)).body.amountRefunded).toBe(0);
    const meanwhileKey = randomUUID();
    const meanwhile = await client.post('/refunds', { paymentId: payment.id, amount: 1 }, meanwhileKey);
    expect(meanwhile.status).toBe(409);
    expect(meanwhile.body.code).toBe('REFUND_IN_PROGRESS');
    expect(Number(meanwhile.headers['retry-after'])).toBeGreaterThan(0);

    const retry = await client.post('/refunds', { paymentId: payment.id }, key);
    expect(retry.status).toBe(201);
    expect(retry.body.amount).toBe(1000);
    expect(refundedAtStripe(payment.stripePaymentIntentId)).toBe(1000);

    // The 409 was not stored: the same key is decided afresh, now that nothing is left.
    const again = await client.post('/refunds', { paymentId: payment.id, amount: 1 }, meanwhileKey);
    expect(again.status).toBe(422);
    expect(again.body.code).toBe('REFUND_EXCEEDS_PAYMENT');
  });

  it('gives the reservation back when Stripe definitely refuses the refund', async () => {
    const payment = await client.paidPayment(1000);
    refuseNextRefund('parameter_invalid');
    const refused = await client.post('/refunds', { paymentId: payment.id, amount: 500 });
    expect(refused.status).toBe(422);
    expect(refused.body.code).toBe('PAYMENT_PROVIDER_REJECTED');
    const next = await client.post('/refunds', { paymentId: payment.id });
    expect(next.status).toBe(201);
    expect(next.body.amount).toBe(1000);
  });

  it('answers REFUND_EXCEEDS_PAYMENT when Stripe holds less to refund than we thought', async () => {
    const payment = await client.paidPayment(1000);
    refuseNextRefund('charge_already_refunded');
    const response = await client.post('/refunds', { paymentId: payment.id });
    expect(response.status).toBe(422);
    expect(response.body.code).toBe('REFUND_EXCEEDS_PAYMENT');
  });

  it('rejects an unknown body field with 400', async () => {
    const payment = await client.paidPayment(1000);
    const response = await client.post('/refunds', { paymentId: payment.id, amount: 1, currency: 'usd' });
    expect(response.status).toBe(400);
    expect(fieldsOf(response.body)).toContain('currency');
  });

  it('refunds once when Stripe commits the refund and drops the connection', async () => {
    const payment = await client.paidPayment(1000);
    const key = randomUUID();
    harness.emulator.dropAfterCommit(2, { method: 'POST', path: '/v1/refunds' });
    const failed = await client.post('/refunds', { paymentId: payment.id, amount: 400 }, key);
    expect(failed.status).toBe(502);
    expect(refundedAtStripe(payment.stripePaymentIntentId)).toBe(400);

    const retry = await client.post('/refunds', { paymentId: payment.id, amount: 400 }, key);
    expect(retry.status).toBe(201);
    expect(refundedAtStripe(payment.stripePaymentIntentId)).toBe(400);
    expect((await client.get(`/payments/${payment.id}`)).body.amountRefunded).toBe(400);
  });
});
