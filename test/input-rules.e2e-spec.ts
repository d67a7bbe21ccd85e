import { randomUUID } from 'node:crypto';
import request from 'supertest';
import { fieldsOf, PaymentsHarness, usePaymentsHarness } from './support/payments-app';
import { TestClient } from './support/test-client';

/**
 * The input rules on every money route: an explicit null, text PostgreSQL cannot store,
 * and prototype keys are 400 VALIDATION_FAILED, and nothing reaches Stripe.
 */
describe('Input rules', () => {
  const current = usePaymentsHarness();
  let harness: PaymentsHarness;
  let client: TestClient;
  beforeEach(() => ({ harness, client } = current()));

  const validBodies = (paymentId: string): Record<string, Record<string, unknown>> => ({
    '/payments/process': {
      amount: 500,
      currency: 'usd',
      paymentMethodId: 'pm_card_visa',
      customerId: 'cus_123',
      description: 'order 1',
      metadata: { order: '1' },
    },
    '/payments/fees': {
      amount: 100,
      currency: 'usd',
      paymentMethodId: 'pm_card_visa',
      relatedPaymentId: paymentId,
      description: 'fee',
    },
    '/intents': {
      amount: 500,
      currency: 'usd',
      customerId: 'cus_123',
      description: 'd',
      metadata: { a: 'b' },
    },
    '/refunds': { paymentId, amount: 100, reason: 'requested_by_customer' },
  });

  /** Posts a JSON text exactly as given (lone surrogates and `__proto__` keys survive). */
  const postRaw = (path: string, json: string, key: string = randomUUID()) =>
    request(harness.app.http)
      .post(path)
      .set(client.headers)
      .set('Idempotency-Key', key)
      .set('Content-Type', 'application/json')
      .send(json);

  const stripeMoves = () => {
    const { paymentIntentsCreated, refundsCreated, requests } = harness.emulator.stats();
    return { paymentIntentsCreated, refundsCreated, requests };
  };

  const expectRejected = (response: request.Response, field: string) => {
    expect({ status: response.status, code: response.body.code }).toEqual({
      status: 400,
      code: 'VALIDATION_FAILED',
    });
    expect(response.body.statusCode).toBe(400);
    expect(fieldsOf(response.body)).toContain(field);
  };

  it('rejects "amount": null on a refund instead of refunding the whole payment', async () => {
    const payment = await client.paidPayment(1000);
    const before = stripeMoves();
    const response = await client.post('/refunds', { paymentId: payment.id, amount: null });
    expectRejected(response, 'amount');
    expect(stripeMoves()).toEqual(before);
    const after = await client.get(`/payments/${payment.id}`);
    expect(after.body).toMatchObject({ status: 'succeeded', amountRefunded: 0 });
  });

  it('rejects an explicit null for every field of every money route', async () => {
    const payment = await client.paidPayment(1000);
    const before = stripeMoves();
    const cases = Object.entries(validBodies(payment.id)).flatMap(([path, body]) =>
      Object.keys(body).map((field) => ({ path, field, body: { ...body, [field]: null } })),
    );
    for (const { path, field, body } of cases) {
      const response = await client.post(path, body);
      expect({ path, field, status: response.status }).toEqual({ path, field, status: 400 });
      expectRejected(response, field);
    }
    expect(stripeMoves()).toEqual(before);
  });

  it('still takes the default for an absent optional field', async () => {
    const payment = await client.paidPayment(1000);
    const response = await client.post('/refunds', { paymentId: payment.id });
    expect(response.status).toBe(201);
    expect(response.body.amount).toBe(1000);
  });

  describe('text PostgreSQL cannot store, or that would change on the way', () => {
    const texts: Array<[string, string]> = [
      ['a NUL character', 'a\\u0000b'],
      ['a lone high surrogate', 'a\\ud800b'],
      ['a lone low surrogate', '\\udc00'],
      ['surrogates in the wrong order', '\\udc00\\ud800'],
    ];
    const intent = (extra: string) => `{"amount":500,"currency":"usd",${extra}}`;

    it.each(texts)('rejects %s in a description, a metadata key and a metadata value', async (_, text) => {
      const before = stripeMoves();
      expectRejected(await postRaw('/intents', intent(`"description":"${text}"`)), 'description');
      expectRejected(await postRaw('/intents', intent(`"metadata":{"${text}":"v"}`)), 'metadata');
      expectRejected(await postRaw('/intents', intent(`"metadata":{"k":"${text}"}`)), 'metadata');
      expectRejected(
        await postRaw(
          '/payments/fees',
          `{"amount":100,"currency":"usd","paymentMethodId":"pm_card_visa",
          "description":"${text}"}`,
        ),
        'description',
      );
      expect(stripeMoves()).toEqual(before);
    });

    it('keeps well-formed text beyond the BMP exactly as sent', async () => {
      const response = await postRaw(
        '/intents',
        intent('"description":"\\ud83d\\udcb3 card","metadata":{"emoji\\ud83d\\ude00":"\\u00e9t\\u00e9"}'),
      );
      expect(response.status).toBe(201);
      expect(response.body).toMatchObject({ description: '💳 card', metadata: { 'emoji😀': 'été' } });
    });
  });

  describe('prototype keys', () => {
    const cases: Array<[string, string, string]> = [
      ['a top-level "__proto__"', '"__proto__":{"amount":1}', '__proto__'],
      ['a top-level "constructor"', '"constructor":{"prototype":{"x":1}}', 'constructor'],
      ['a top-level "prototype"', '"prototype":"x"', 'prototype'],
      ['"__proto__" in metadata', '"metadata":{"__proto__":"x"}', 'metadata.__proto__'],
      ['"constructor" in metadata', '"metadata":{"constructor":"x"}', 'metadata.constructor'],
      ['"prototype" in metadata', '"metadata":{"prototype":"x"}', 'metadata.prototype'],
    ];

    it.each(cases)('rejects %s with 400 naming it, and nothing reaches Stripe', async (_, extra, field) => {
      const before = stripeMoves();
      const response = await postRaw(
        '/payments/process',
        `{"amount":500,"currency":"usd",
        "paymentMethodId":"pm_card_visa",${extra}}`,
      );
      expectRejected(response, field);
      expect(stripeMoves()).toEqual(before);
    });

    it('judges unknown keys on the raw body, on the refund route too', async () => {
      const payment = await client.paidPayment(1000);
      const response = await postRaw('/refunds', `{"paymentId":"${payment.id}","__proto__":{"amount":1}}`);
      expectRejected(response, '__proto__');
      const after = await client.get(`/payments/${payment.id}`);
      expect(after.body.amountRefunded).toBe(0);
    });

    it('lets the same key be used at once after a validation 400', async () => {
      const key = randomUUID();
      const rejected = await postRaw('/intents', '{"amount":500,"currency":"usd","__proto__":{}}', key);
      expectRejected(rejected, '__proto__');
      const accepted = await client.post('/intents', { amount: 500, currency: 'usd' }, key);
      expect(accepted.status).toBe(201);
      expect(accepted.headers['idempotent-replayed']).toBeUndefined();
    });
  });
});
