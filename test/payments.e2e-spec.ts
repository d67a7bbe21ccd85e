import { randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import { fieldsOf, PaymentsHarness, usePaymentsHarness } from './support/payments-app';
import { TestClient } from './support/test-client';

const visa = { amount: 1000, currency: 'usd', paymentMethodId: 'pm_card_visa' };

describe('Payments, intents and fees', () => {
  const current = usePaymentsHarness();
  let harness: PaymentsHarness;
  let client: TestClient;
  beforeEach(() => ({ harness, client } = current()));

  const intentsCreated = () => harness.emulator.stats().paymentIntentsCreated;
  const rowsFor = async (tenantId: string): Promise<number> => {
    const rows: Array<{ count: string }> = await harness.app.app
      .get(DataSource)
      .query('SELECT count(*) FROM payment_transactions WHERE tenant_id = $1', [tenantId]);
    return Number(rows[0].count);
  };

  describe('POST /payments/process', () => {
    it('creates and confirms a PaymentIntent: 201, the payment, Location', async () => {
      const customer = { id: (await client.post('/customers', {})).body.stripeCustomerId as string };
      const response = await client.post('/payments/process', {
        ...visa,
        customerId: customer.id,
        description: 'order 42',
        metadata: { order: '42' },
      });
      expect(response.status).toBe(201);
      expect(response.body).toEqual({
        id: expect.any(String),
        tenantId: client.tenantId,
        kind: 'payment',
        status: 'succeeded',
        amount: 1000,
        amountRefunded: 0,
        currency: 'usd',
        stripePaymentIntentId: expect.stringMatching(/^pi_/),
        customerId: customer.id,
        description: 'order 42',
        metadata: { order: '42' },
        createdAt: expect.any(String),
        updatedAt: expect.any(String),
      });
      expect(response.headers.location).toBe(`/payments/${response.body.id}`);

      const intent = harness.emulator
        .paymentIntents()
        .find((pi) => pi.id === response.body.stripePaymentIntentId);
      expect(intent).toMatchObject({ amount: 1000, currency: 'usd', status: 'succeeded' });
      expect(intent?.metadata).toEqual({
        order: '42',
        ps_payment_id: response.body.id,
        ps_tenant_id: client.tenantId,
      });

      const read = await client.get(`/payments/${response.body.id}`);
      expect(read.status).toBe(200);
      expect(read.body).toEqual(response.body);
    });

    it('charges once for a retried request: the replay names the same PaymentIntent', async () => {
      const key = randomUUID();
      const before = intentsCreated();
      const first = await client.post('/payments/process', visa, key);
      const replay = await client.post('/payments/process', visa, key);
      expect(replay.status).toBe(201);
      expect(replay.headers['idempotent-replayed']).toBe('true');
      expect(replay.text).toBe(first.text);
      expect(intentsCreated() - before).toBe(1);
      expect(await rowsFor(client.tenantId)).toBe(1);
    });

    it('records a declined card as a failed payment and answers 402 CARD_DECLINED with its id', async () => {
      const key = randomUUID();
      const response = await client.post(
        '/payments/process',
        { ...visa, paymentMethodId: 'pm_card_chargeDeclined' },
        key,
      );
      expect(response.status).toBe(402);
      expect(response.body).toMatchObject({
        statusCode: 402,
        code: 'CARD_DECLINED',
        details: { paymentId: expect.any(String), declineCode: expect.any(String) },
      });
      const payment = await client.get(`/payments/${response.body.details.paymentId}`);
      expect(payment.body).toMatchObject({
        status: 'failed',
        stripePaymentIntentId: expect.stringMatching(/^pi_/),
      });

      const replay = await client.post(
        '/payments/process',
        { ...visa, paymentMethodId: 'pm_card_chargeDeclined' },
        key,
      );
      expect(replay.status).toBe(402);
      expect(replay.text).toBe(response.text);
    });

    it.each([
      ['pm_card_authenticationRequired', 'requires_action'],
      ['pm_card_processing', 'processing'],
    ])('maps %s to status %s', async (paymentMethodId, status) => {
      const response = await client.post('/payments/process', { ...visa, paymentMethodId });
      expect(response.status).toBe(201);
      expect(response.body.status).toBe(status);
    });

    it('records a payment method Stripe does not know as a failed payment: 422 PAYMENT_METHOD_INVALID with its id', async () => {
      const response = await client.post('/payments/process', {
        ...visa,
        paymentMethodId: 'pm_card_nonexistent',
      });
      expect(response.status).toBe(422);
      expect(response.body).toMatchObject({
        code: 'PAYMENT_METHOD_INVALID',
        details: { paymentId: expect.any(String) },
      });
      const payment = await client.get(`/payments/${response.body.details.paymentId}`);
      expect(payment.body).toMatchObject({ status: 'failed', stripePaymentIntentId: null });
    });
  });

  describe('POST /intents', () => {
    it('creates an unconfirmed PaymentIntent and answers its client secret', async () => {
      const response = await client.post('/intents', {
        amount: 500,
        currency: 'eur',
        metadata: { cart: 'c1' },
      });
      expect(response.status).toBe(201);
      expect(response.body).toMatchObject({
        kind: 'payment',
        status: 'requires_payment_method',
        amount: 500,
        currency: 'eur',
        clientSecret: expect.stringMatching(/^pi_.+_secret_/),
      });
      expect(response.headers.location).toBe(`/payments/${response.body.id}`);
      const intent = harness.emulator
        .paymentIntents()
        .find((pi) => pi.id === response.body.stripePaymentIntentId);
      expect(intent?.client_secret).toBe(response.body.clientSecret);
    });

    it('replays the intent, client secret and Location, creating one PaymentIntent', async () => {
      const key = randomUUID();
      const before = intentsCreated();
      const first = await client.post('/intents', { amount: 700, currency: 'usd' }, key);
      const replay = await client.post('/intents', { amount: 700, currency: 'usd' }, key);
      expect(replay.status).toBe(201);
      expect(replay.headers['idempotent-replayed']).toBe('true');
      expect(replay.headers.location).toBe(first.headers.location);
      expect(replay.text).toBe(first.text);
      expect(intentsCreated() - before).toBe(1);
    });

    it('rejects an unknown body field with 400', async () => {
      const response = await client.post('/intents', {
        amount: 700,
        currency: 'usd',
        paymentMethodId: 'pm_card_visa',
      });
      expect(response.status).toBe(400);
      expect(fieldsOf(response.body)).toContain('paymentMethodId');
    });

    it('accepts a zero-decimal currency amount as is', async () => {
      const response = await client.post('/intents', { amount: 500, currency: 'jpy' });
      expect(response.status).toBe(201);
      expect(response.body).toMatchObject({ amount: 500, currency: 'jpy' });
    });
  });

  describe('POST /payments/fees', () => {
    it('charges a fee related to one of the tenant’s payments', async () => {
      const payment = await client.paidPayment();
      const response = await client.post('/payments/fees', {
        ...visa,
        amount: 30,
        relatedPaymentId: payment.id,
      });
      expect(response.status).toBe(201);
      expect(response.body).toMatchObject({
        kind: 'fee',
        status: 'succeeded',
        amount: 30,
        relatedPaymentId: payment.id,
      });
    });

    it('replays a fee with its Location, charging once', async () => {
      const key = randomUUID();
      const before = intentsCreated();
      const first = await client.post('/payments/fees', { ...visa, amount: 25 }, key);
      const replay = await client.post('/payments/fees', { ...visa, amount: 25 }, key);
      expect(replay.headers['idempotent-replayed']).toBe('true');
      expect(replay.headers.location).toBe(`/payments/${first.body.id}`);
      expect(replay.text).toBe(first.text);
      expect(intentsCreated() - before).toBe(1);
    });

    it('rejects an unknown body field with 400', async () => {
      const response = await client.post('/payments/fees', { ...visa, amount: 25, customerId: 'cus_1' });
      expect(response.status).toBe(400);
      expect(fieldsOf(response.body)).toContain('customerId');
    });

    it('charges a fee without a related payment', async () => {
      const response = await client.post('/payments/fees', { ...visa, amount: 30 });
      expect(response.status).toBe(201);
      expect(response.body.kind).toBe('fee');
    });

    it('answers 404 RELATED_PAYMENT_NOT_FOUND for another tenant’s payment, charging nothing', async () => {
      const foreign = await new TestClient({ app: harness.app }).paidPayment();
      const before = intentsCreated();
      const response = await client.post('/payments/fees', {
        ...visa,
        amount: 30,
        relatedPaymentId: foreign.id,
      });
      expect(response.status).toBe(404);
      expect(response.body.code).toBe('RELATED_PAYMENT_NOT_FOUND');
      expect(intentsCreated()).toBe(before);
    });
  });

  describe('GET /payments/:id', () => {
    it('answers 400 for a non-UUID id', async () => {
      const response = await client.get('/payments/not-a-uuid');
      expect(response.status).toBe(400);
      expect(response.body.code).toBe('VALIDATION_FAILED');
    });

    it('answers 404 PAYMENT_NOT_FOUND for an unknown id', async () => {
      const response = await client.get(`/payments/${randomUUID()}`);
      expect(response.status).toBe(404);
      expect(response.body.code).toBe('PAYMENT_NOT_FOUND');
    });

    it('answers 404, never the data, for another tenant’s payment', async () => {
      const payment = await client.paidPayment();
      const stranger = new TestClient({ app: harness.app });
      const response = await stranger.get(`/payments/${payment.id}`);
      expect(response.status).toBe(404);
      expect(response.text).not.toContain(payment.stripePaymentIntentId);
    });
  });

  describe('input validation', () => {
    it.each([
      ['amount', { ...visa, amount: 0 }],
      ['amount', { ...visa, amount: 100_000_000 }],
      ['amount', { ...visa, amount: 10.5 }],
      ['amount', { ...visa, amount: '1000' }],
      ['currency', { ...visa, currency: 'USD' }],
      ['currency', { ...visa, currency: 'xyz' }],
      ['paymentMethodId', { ...visa, paymentMethodId: 'card_visa' }],
      ['customerId', { ...visa, customerId: 'bob' }],
      ['description', { ...visa, description: 'x'.repeat(1001) }],
      ['metadata', { ...visa, metadata: { count: 3 } }],
      ['metadata', { ...visa, metadata: { ['k'.repeat(41)]: 'v' } }],
      ['metadata', { ...visa, metadata: { ps_payment_id: 'spoof' } }],
      [
        'metadata',
        { ...visa, metadata: Object.fromEntries(Array.from({ length: 41 }, (_, i) => [`k${i}`, 'v'])) },
      ],
      ['surprise', { ...visa, surprise: true }],
    ])('rejects a bad %s with 400 VALIDATION_FAILED naming it, charging nothing', async (field, body) => {
      const before = intentsCreated();
      const response = await client.post('/payments/process', body);
      expect(response.status).toBe(400);
      expect(response.body.code).toBe('VALIDATION_FAILED');
      expect(fieldsOf(response.body)).toContain(field);
      expect(intentsCreated()).toBe(before);
    });
  });

  describe('when Stripe fails', () => {
    it('answers 502 PAYMENT_PROVIDER_UNAVAILABLE on a Stripe 500, and the retry with the same key charges once', async () => {
      const key = randomUUID();
      const before = intentsCreated();
      harness.emulator.failNext(1, 500, { method: 'POST', path: '/v1/payment_intents' });
      const failed = await client.post('/payments/process', visa, key);
      expect(failed.status).toBe(502);
      expect(failed.body.code).toBe('PAYMENT_PROVIDER_UNAVAILABLE');

      const retry = await client.post('/payments/process', visa, key);
      expect(retry.status).toBe(201);
      expect(retry.headers['idempotent-replayed']).toBeUndefined();
      expect(intentsCreated() - before).toBe(1);
      expect(await rowsFor(client.tenantId)).toBe(1);
    });

    it.each<[string, number, 'invalid_request_error', string]>([
      ['an account that may only take test charges', 400, 'invalid_request_error', 'testmode_charges_only'],
      ['a live/test key mismatch', 400, 'invalid_request_error', 'livemode_mismatch'],
      ['a revoked API key', 401, 'invalid_request_error', 'api_key_expired'],
      ['a restricted account', 403, 'invalid_request_error', 'account_invalid'],
    ])(
      'answers %s with 502, stores nothing and leaves the row retryable',
      async (_name, status, type, code) => {
        const key = randomUUID();
        const before = intentsCreated();
        harness.emulator.injectFault({
          kind: 'fail',
          status,
          type,
          code,
          method: 'POST',
          path: '/v1/payment_intents',
        });
        const refused = await client.post('/payments/process', visa, key);
        expect(refused.status).toBe(502);
        expect(refused.body.code).toBe('PAYMENT_PROVIDER_UNAVAILABLE');
        expect(refused.headers['idempotent-replayed']).toBeUndefined();

        const retry = await client.post('/payments/process', visa, key);
        expect(retry.status).toBe(201);
        expect(retry.headers['idempotent-replayed']).toBeUndefined();
        expect(retry.body.status).toBe('succeeded');
        expect(intentsCreated() - before).toBe(1);
        expect(await rowsFor(client.tenantId)).toBe(1);
      },
    );

    it('survives Stripe committing the PaymentIntent and dropping the connection: the retry names that one PaymentIntent', async () => {
      const key = randomUUID();
      const before = intentsCreated();
      // The SDK itself retries a reset connection once; two drops reach the service.
      harness.emulator.dropAfterCommit(2, { method: 'POST', path: '/v1/payment_intents' });
      const failed = await client.post('/payments/process', visa, key);
      expect(failed.status).toBe(502);
      expect(intentsCreated() - before).toBe(1);
      const committed = harness.emulator
        .paymentIntents()
        .filter((pi) => pi.metadata.ps_tenant_id === client.tenantId);
      expect(committed).toHaveLength(1);

      const retry = await client.post('/payments/process', visa, key);
      expect(retry.status).toBe(201);
      expect(retry.body.stripePaymentIntentId).toBe(committed[0].id);
      expect(retry.body.status).toBe('succeeded');
      expect(intentsCreated() - before).toBe(1);
    });

    it('completes the same payment when writing Stripe’s answer failed (a 500 that frees the key)', async () => {
      const dataSource = harness.app.app.get(DataSource);
      const key = randomUUID();
      // Fail the first write of a PaymentIntent id for this tenant, once, inside PostgreSQL. The
      // count lives in a sequence because the failure rolls back everything transactional.
      await dataSource.query(`
        CREATE TABLE IF NOT EXISTS test_fail_target (tenant_id uuid PRIMARY KEY);
        DROP SEQUENCE IF EXISTS test_fail_count;
        CREATE SEQUENCE test_fail_count;
        CREATE OR REPLACE FUNCTION test_fail_intent_update() RETURNS trigger AS $$
        BEGIN
          IF OLD.stripe_payment_intent_id IS NULL AND NEW.stripe_payment_intent_id IS NOT NULL
             AND EXISTS (SELECT 1 FROM test_fail_target WHERE tenant_id = NEW.tenant_id)
             AND nextval('test_fail_count') = 1 THEN
            RAISE EXCEPTION 'simulated crash after the Stripe call';
          END IF;
          RETURN NEW;
        END $$ LANGUAGE plpgsql;
        DROP TRIGGER IF EXISTS test_fail_intent_update ON payment_transactions;
        CREATE TRIGGER test_fail_intent_update BEFORE UPDATE ON payment_transactions
          FOR EACH ROW EXECUTE FUNCTION test_fail_intent_update();`);
      try {
        await dataSource.query('INSERT INTO test_fail_target (tenant_id) VALUES ($1)', [client.tenantId]);
        const before = intentsCreated();
        const crashed = await client.post('/payments/process', visa, key);
        expect(crashed.status).toBe(500);
        expect(crashed.text).not.toContain('simulated');
        // The handler had named the payment's Location before the commit failed: not on a 500.
        expect(crashed.headers.location).toBeUndefined();

        const retry = await client.post('/payments/process', visa, key);
        expect(retry.status).toBe(201);
        expect(retry.body.status).toBe('succeeded');
        expect(intentsCreated() - before).toBe(1);
        expect(await rowsFor(client.tenantId)).toBe(1);
      } finally {
        await dataSource.query('DROP TRIGGER IF EXISTS test_fail_intent_update ON payment_transactions');
      }
    });
  });
});
