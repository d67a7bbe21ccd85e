import { fieldsOf, usePaymentsHarness } from './support/payments-app';
import { TestClient } from './support/test-client';

interface ListedPayment {
  id: string;
  status: string;
  customerId: string | null;
  createdAt: string;
}

interface PaymentPage {
  data: ListedPayment[];
  nextCursor: string | null;
}

/** `GET /payments`: the tenant's payments, newest first, filtered and paged by a keyset cursor. */
describe('GET /payments', () => {
  const current = usePaymentsHarness();

  const pay = async (client: TestClient, paymentMethodId: string, customerId?: string) => {
    const response = await client.post('/payments/process', {
      amount: 1000,
      currency: 'usd',
      paymentMethodId,
      ...(customerId ? { customerId } : {}),
    });
    return response.body as ListedPayment;
  };

  const page = async (client: TestClient, query: string): Promise<PaymentPage> => {
    const response = await client.get(`/payments?${query}`);
    expect(response.status).toBe(200);
    return response.body as PaymentPage;
  };

  /** Every page of `query`, following `nextCursor`. */
  const allPages = async (client: TestClient, query: string): Promise<ListedPayment[][]> => {
    const pages: ListedPayment[][] = [];
    let cursor: string | null = null;
    do {
      const next: PaymentPage = await page(client, cursor ? `${query}&cursor=${cursor}` : query);
      pages.push(next.data);
      cursor = next.nextCursor;
    } while (cursor);
    return pages;
  };

  it('pages through every payment of the tenant once, newest first, and none of another tenant', async () => {
    const { harness, client } = current();
    const created: ListedPayment[] = [];
    for (let i = 0; i < 5; i++) created.push(await pay(client, 'pm_card_visa'));
    await pay(new TestClient({ app: harness.app }), 'pm_card_visa');

    const pages = await allPages(client, 'limit=2');
    expect(pages.map((data) => data.length)).toEqual([2, 2, 1]);
    const listed = pages.flat();
    expect(listed.map((payment) => payment.id)).toEqual(created.map((payment) => payment.id).reverse());
    const times = listed.map((payment) => Date.parse(payment.createdAt));
    expect(times).toEqual([...times].sort((a, b) => b - a));
  });

  it('filters by status, by customer and by creation time, both bounds inclusive', async () => {
    const { client } = current();
    const customerId = (await client.post('/customers', {})).body.stripeCustomerId as string;
    const declined = await client.post('/payments/process', {
      amount: 1000,
      currency: 'usd',
      paymentMethodId: 'pm_card_chargeDeclined',
    });
    expect(declined.status).toBe(402);
    const declinedId = (declined.body as { details: { paymentId: string } }).details.paymentId;
    const middle = await pay(client, 'pm_card_visa', customerId);
    await pay(client, 'pm_card_visa');

    const failed = await page(client, 'status=failed');
    expect(failed.data.map((payment) => payment.id)).toEqual([declinedId]);
    expect(failed.nextCursor).toBeNull();

    const ofCustomer = await page(client, `customerId=${customerId}`);
    expect(ofCustomer.data.map((payment) => payment.id)).toEqual([middle.id]);

    const at = encodeURIComponent(middle.createdAt);
    const exactly = await page(client, `createdFrom=${at}&createdTo=${at}`);
    expect(exactly.data.map((payment) => payment.id)).toContain(middle.id);
    expect(exactly.data.every((payment) => payment.createdAt === middle.createdAt)).toBe(true);

    const succeededSince = await page(client, `status=succeeded&createdFrom=${at}`);
    expect(succeededSince.data.map((payment) => payment.id)).toContain(middle.id);
    expect(succeededSince.data.map((payment) => payment.id)).not.toContain(declinedId);
  });

  it('answers an empty page to a tenant without payments', async () => {
    const { client } = current();
    expect(await page(client, 'limit=100')).toEqual({ data: [], nextCursor: null });
  });

  it('tells a limit that is not a number that it must be an integer, before its bounds', async () => {
    const { client } = current();
    for (const query of ['limit=abc', 'limit=5&limit=6']) {
      const response = await client.get(`/payments?${query}`);
      expect({ query, status: response.status, message: response.body.message }).toEqual({
        query,
        status: 400,
        message: 'limit must be an integer number',
      });
    }
  });

  it.each([
    ['limit=0', 'limit'],
    ['limit=101', 'limit'],
    ['limit=2.5', 'limit'],
    ['status=paid', 'status'],
    ['customerId=abc', 'customerId'],
    ['createdFrom=yesterday', 'createdFrom'],
    ['cursor=not*base64', 'cursor'],
    // The right shape, but not a position this route wrote.
    [`cursor=${Buffer.from('nonsense').toString('base64url')}`, 'cursor'],
    // Of the cursor's shape, but no row's position: an id that is not a UUID, a time past bigint.
    [`cursor=${Buffer.from(`1:${'-'.repeat(36)}`).toString('base64url')}`, 'cursor'],
    [
      `cursor=${Buffer.from(`9223372036854775807:${'0'.repeat(8)}-0000-0000-0000-${'0'.repeat(12)}`).toString('base64url')}`,
      'cursor',
    ],
    ['sort=asc', 'sort'],
  ])('refuses %s with 400 VALIDATION_FAILED naming %s', async (query, field) => {
    const { client } = current();
    const response = await client.get(`/payments?${query}`);
    expect(response.status).toBe(400);
    expect(response.body.code).toBe('VALIDATION_FAILED');
    expect(fieldsOf(response.body)).toContain(field);
  });
});
