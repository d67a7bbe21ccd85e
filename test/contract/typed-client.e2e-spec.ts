import { randomUUID } from 'node:crypto';
import createClient, { type Client } from 'openapi-fetch';
import { OpenApiContract } from '../support/contract/openapi-contract';
import { usePaymentsHarness } from '../support/payments-app';
import type { components, paths } from './generated/payment-service';

/**
 * A client generated from docs/openapi.json (openapi-typescript, `npm run openapi`) and called
 * through openapi-fetch, as an integrator would, against the real app: compiled under `strict`
 * with no type assertion (lint forbids them in this file), every error read by its `code` and its
 * `details` by their per-code types. Each answer is also checked against the document.
 */
describe('A client generated from the API document', () => {
  const current = usePaymentsHarness();

  const typedClient = (): Client<paths> => {
    const { harness, client } = current();
    const address = harness.app.http.address();
    if (typeof address !== 'object' || address === null) throw new Error('the app is not listening');
    const api = createClient<paths>({ baseUrl: `http://127.0.0.1:${address.port}`, headers: client.headers });
    api.use({
      async onResponse({ request, response }) {
        const url = new URL(request.url);
        OpenApiContract.load().check({
          method: request.method,
          url: `${url.pathname}${url.search}`,
          status: response.status,
          headers: Object.fromEntries(response.headers),
          text: await response.clone().text(),
        });
      },
    });
    return api;
  };

  /** Narrows an error body to one code's schema: a type guard, not an assertion. */
  function hasCode<E extends { code: string }, C extends E['code']>(
    error: E | undefined,
    code: C,
  ): error is Extract<E, { code: C }> {
    return error?.code === code;
  }

  it('walks a payment, its replay, a key mismatch, a declined card, a refund, an over-refund and the reads', async () => {
    const api = typedClient();
    const key = randomUUID();
    const charge: components['schemas']['ProcessPaymentDto'] = {
      amount: 2500,
      currency: 'usd',
      paymentMethodId: 'pm_card_visa',
    };

    const paid = await api.POST('/payments/process', {
      params: { header: { 'Idempotency-Key': key } },
      body: charge,
    });
    if (!paid.data) throw new Error(`the payment failed: ${paid.response.status}`);
    const payment = paid.data;
    expect(payment.status).toBe('succeeded');
    expect(paid.response.status).toBe(201);
    expect(paid.response.headers.get('Location')).toBe(`/payments/${payment.id}`);
    expect(paid.response.headers.get('Idempotent-Replayed')).toBeNull();

    // The same key and body, quoted as a structured-field string this time: the first answer.
    const replayed = await api.POST('/payments/process', {
      params: { header: { 'Idempotency-Key': `"${key}"` } },
      body: charge,
    });
    expect(replayed.data).toEqual(payment);
    expect(replayed.response.headers.get('Idempotent-Replayed')).toBe('true');

    const mismatch = await api.POST('/payments/process', {
      params: { header: { 'Idempotency-Key': key } },
      body: { ...charge, amount: 2600 },
    });
    expect(mismatch.response.status).toBe(422);
    expect(mismatch.error?.code).toBe('IDEMPOTENCY_KEY_MISMATCH');

    const declined = await api.POST('/payments/process', {
      params: { header: { 'Idempotency-Key': randomUUID() } },
      body: { ...charge, paymentMethodId: 'pm_card_chargeDeclined' },
    });
    expect(declined.response.status).toBe(402);
    if (!hasCode(declined.error, 'CARD_DECLINED'))
      throw new Error(`not a decline: ${declined.response.status}`);
    const failed = await api.GET('/payments/{id}', {
      params: { path: { id: declined.error.details.paymentId } },
    });
    expect(failed.data?.status).toBe('failed');
    expect(declined.error.details.declineCode).toEqual(expect.any(String));

    const refunded = await api.POST('/refunds', {
      params: { header: { 'Idempotency-Key': randomUUID() } },
      body: { paymentId: payment.id, amount: 1000, reason: 'requested_by_customer' },
    });
    if (!refunded.data) throw new Error(`the refund failed: ${refunded.response.status}`);
    const refund = refunded.data;
    expect(refund).toMatchObject({ paymentId: payment.id, amount: 1000, source: 'api' });
    expect(refunded.response.headers.get('Location')).toBe(`/refunds/${refund.id}`);

    const tooMuch = await api.POST('/refunds', {
      params: { header: { 'Idempotency-Key': randomUUID() } },
      body: { paymentId: payment.id, amount: 2000 },
    });
    expect(tooMuch.response.status).toBe(422);
    if (!hasCode(tooMuch.error, 'REFUND_EXCEEDS_PAYMENT')) throw new Error('not an over-refund');
    expect(tooMuch.error.details.remaining).toBe(1500);
    expect(tooMuch.error.details.requested).toBe(2000);

    const read = await api.GET('/refunds/{id}', { params: { path: { id: refund.id } } });
    expect(read.data?.id).toBe(refund.id);
    const listed = await api.GET('/payments/{id}/refunds', { params: { path: { id: payment.id } } });
    expect(listed.data?.data.map(({ id }) => id)).toEqual([refund.id]);
    const after = await api.GET('/payments/{id}', { params: { path: { id: payment.id } } });
    expect(after.data?.amountRefunded).toBe(1000);
    expect(after.data?.status).toBe('partially_refunded');
  });

  it('reads the fields a refused request names from their typed details', async () => {
    const api = typedClient();
    const refused = await api.POST('/refunds', {
      params: { header: { 'Idempotency-Key': randomUUID() } },
      body: { paymentId: randomUUID(), amount: 0 },
    });
    expect(refused.response.status).toBe(400);
    if (!hasCode(refused.error, 'VALIDATION_FAILED')) throw new Error('not a validation failure');
    expect(refused.error.details.fields.map(({ field }) => field)).toEqual(['amount']);
  });
});
