import { randomUUID } from 'node:crypto';
import type Stripe from 'stripe';
import { STRIPE_CLIENT } from '../src/stripe/stripe.constants';
import { PaymentsHarness, usePaymentsHarness } from './support/payments-app';
import { TestClient } from './support/test-client';

const visa = { amount: 1000, currency: 'usd', paymentMethodId: 'pm_card_visa' };

describe('Customers belong to tenants', () => {
  const current = usePaymentsHarness();
  let harness: PaymentsHarness;
  let client: TestClient;
  beforeEach(() => ({ harness, client } = current()));

  const stripe = (): Stripe => harness.app.app.get<Stripe>(STRIPE_CLIENT);
  const intentsCreated = () => harness.emulator.stats().paymentIntentsCreated;
  const newCustomer = async (owner: TestClient, body: object = {}) => {
    const response = await owner.post('/customers', body);
    if (response.status !== 201) throw new Error(`customer failed: ${response.status} ${response.text}`);
    return response.body as { id: string; stripeCustomerId: string };
  };

  describe('POST /customers', () => {
    it('creates the Stripe customer for the caller’s tenant: 201, the customer, Location', async () => {
      const response = await client.post('/customers', {
        email: 'ada@example.com',
        name: 'Ada',
        metadata: { crm: '7' },
      });
      expect(response.status).toBe(201);
      expect(response.body).toEqual({
        id: expect.any(String),
        stripeCustomerId: expect.stringMatching(/^cus_/),
        email: 'ada@example.com',
        name: 'Ada',
        metadata: { crm: '7' },
        createdAt: expect.any(String),
      });
      expect(response.headers.location).toBe(`/customers/${response.body.id}`);
      const atStripe = await stripe().customers.retrieve(response.body.stripeCustomerId);
      expect(atStripe).toMatchObject({
        email: 'ada@example.com',
        metadata: { crm: '7', ps_customer_id: response.body.id, ps_tenant_id: client.tenantId },
      });
    });

    it('creates one Stripe customer for a retried request and replays the first answer', async () => {
      const key = randomUUID();
      const first = await client.post('/customers', { name: 'Once' }, key);
      const replay = await client.post('/customers', { name: 'Once' }, key);
      expect(replay.status).toBe(201);
      expect(replay.headers['idempotent-replayed']).toBe('true');
      expect(replay.text).toBe(first.text);
      const mismatch = await client.post('/customers', { name: 'Twice' }, key);
      expect(mismatch.status).toBe(422);
      expect(mismatch.body.code).toBe('IDEMPOTENCY_KEY_MISMATCH');
    });

    it('rejects a bad email or an unknown field with 400', async () => {
      for (const email of ['not-an-email', '\ud800@example.com', 'a\u0000@example.com']) {
        const badEmail = await client.post('/customers', { email });
        expect(badEmail.status).toBe(400);
        expect(badEmail.body.code).toBe('VALIDATION_FAILED');
      }
      const unknown = await client.post('/customers', { phone: '1' });
      expect(unknown.status).toBe(400);
    });
  });

  describe('GET /customers/:id', () => {
    it('answers the tenant’s own customer, and 404 for another tenant’s or an unknown one', async () => {
      const customer = await newCustomer(client, { name: 'Mine' });
      const own = await client.get(`/customers/${customer.id}`);
      expect(own.status).toBe(200);
      expect(own.body).toMatchObject({
        id: customer.id,
        stripeCustomerId: customer.stripeCustomerId,
        name: 'Mine',
      });

      const stranger = new TestClient({ app: harness.app });
      const foreign = await stranger.get(`/customers/${customer.id}`);
      expect(foreign.status).toBe(404);
      expect(foreign.body.code).toBe('CUSTOMER_NOT_FOUND');
      expect(foreign.text).not.toContain(customer.stripeCustomerId);
      expect((await client.get(`/customers/${randomUUID()}`)).status).toBe(404);
      expect((await client.get('/customers/nope')).status).toBe(400);
    });
  });

  describe('customerId on money routes', () => {
    it('charges the tenant’s own customer', async () => {
      const customer = await newCustomer(client);
      const response = await client.post('/payments/process', {
        ...visa,
        customerId: customer.stripeCustomerId,
      });
      expect(response.status).toBe(201);
      expect(response.body.customerId).toBe(customer.stripeCustomerId);
    });

    it.each([
      ['/payments/process', visa],
      ['/intents', { amount: 1000, currency: 'usd' }],
    ])(
      'refuses another tenant’s customer on %s with 404 CUSTOMER_NOT_FOUND before Stripe is called',
      async (route, body) => {
        const owner = new TestClient({ app: harness.app });
        const theirs = await newCustomer(owner);
        const before = intentsCreated();
        const key = randomUUID();
        const refused = await client.post(route, { ...body, customerId: theirs.stripeCustomerId }, key);
        expect(refused.status).toBe(404);
        expect(refused.body).toMatchObject({ code: 'CUSTOMER_NOT_FOUND', details: { field: 'customerId' } });
        const unknown = await client.post(route, { ...body, customerId: 'cus_doesnotexist' });
        expect(unknown.status).toBe(404);
        expect(intentsCreated()).toBe(before);

        // Not stored: once the tenant names its own customer, the same key goes through.
        const mine = await newCustomer(client);
        const retried = await client.post(route, { ...body, customerId: mine.stripeCustomerId }, key);
        expect(retried.status).toBe(201);
      },
    );

    it('lets no other tenant charge a payment method saved on a customer', async () => {
      const owner = new TestClient({ app: harness.app });
      const theirs = await newCustomer(owner);
      const saved = await stripe().paymentMethods.attach('pm_card_visa', {
        customer: theirs.stripeCustomerId,
      });
      const before = intentsCreated();

      const withoutCustomer = await client.post('/payments/process', { ...visa, paymentMethodId: saved.id });
      expect(withoutCustomer.status).toBe(422);
      expect(withoutCustomer.body.code).toBe('PAYMENT_METHOD_INVALID');
      const mine = await newCustomer(client);
      const withOwnCustomer = await client.post('/payments/process', {
        ...visa,
        paymentMethodId: saved.id,
        customerId: mine.stripeCustomerId,
      });
      expect(withOwnCustomer.status).toBe(422);
      expect(withOwnCustomer.body.code).toBe('PAYMENT_METHOD_INVALID');

      const byOwner = await owner.post('/payments/process', {
        ...visa,
        paymentMethodId: saved.id,
        customerId: theirs.stripeCustomerId,
      });
      expect(byOwner.status).toBe(201);
      expect(byOwner.body.status).toBe('succeeded');
      expect(intentsCreated() - before).toBe(1);
    });
  });
});
