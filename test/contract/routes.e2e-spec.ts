import { randomUUID } from 'node:crypto';
import type { OperationObject, ParameterObject } from '@nestjs/swagger';
import { getMetadataStorage } from 'class-validator';
import request, { type Response, type Test } from 'supertest';
import { DataSource } from 'typeorm';
import { ListEventsQueryDto } from '../../src/events/dto/list-events-query.dto';
import { ListPaymentsQueryDto } from '../../src/payments/dto/list-payments-query.dto';
import { ListDeliveriesQueryDto } from '../../src/webhook-endpoints/dto/list-deliveries-query.dto';
import { ListWebhooksQueryDto } from '../../src/webhooks/dto/list-webhooks-query.dto';
import { OpenApiContract } from '../support/contract/openapi-contract';
import { createPaymentsHarness, PaymentsHarness } from '../support/payments-app';
import { rawExchange } from '../support/raw-exchange';
import { deliver, signatureFor, stripeEvent } from '../support/stripe-events';
import { TcpProxy } from '../support/tcp-proxy';
import { insertPayment, paymentEvent, recordEvents } from '../support/tenant-events';
import { createTestApp, TestApp } from '../support/test-app';
import { TestClient } from '../support/test-client';
import { bearer, signToken } from '../support/tokens';

/**
 * The sweep: every route of docs/openapi.json, made to give every outcome it documents, each
 * answer checked against the document. The last test fails when the document lists an outcome
 * nothing here provoked, unless it says below why it is not provoked here.
 */
const NOT_PROVOKED: Record<string, string> = {
  '* 408':
    'Node answers 408 only after 300 s without a complete request; the same handler answers the 400 and 431 provoked here.',
  '* 500':
    'No route fails on purpose; test/payments.e2e-spec.ts makes a commit fail through the shared client, whose answers the contract layer checks.',
  'getLiveness 503': 'Liveness checks nothing; terminus answers 503 only while the process shuts down.',
};

const contract = OpenApiContract.load();
const seen = new Set<string>();
const admin = bearer(signToken({ roles: ['admin'] }));
const tenant = () => bearer(signToken());

interface Observed {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
  body: { code?: string; details?: { fields?: Array<{ field: string }> } } & Record<string, unknown>;
}

/** Checks an answer against the document and counts the outcome as provoked. */
function record(method: string, url: string, answer: Omit<Observed, 'body'>): Observed {
  contract.check({ method, url, ...answer });
  const found = contract.operationFor(method, url);
  if (!found) throw new Error(`${method} ${url} is not in the document`);
  seen.add(`${found.operation.operationId} ${answer.status}`);
  let body: Observed['body'] = {};
  try {
    body = JSON.parse(answer.text) as Observed['body'];
  } catch {
    // Not JSON (the metrics): the text stands.
  }
  return { ...answer, body };
}

async function observe(method: string, url: string, test: Test): Promise<Observed> {
  const response: Response = await test;
  return record(method, url, {
    status: response.status,
    headers: response.headers,
    text: response.text ?? '',
  });
}

/** An answer read off the socket, as the contract checks take it. */
async function rawAnswer(port: number, bytes: string): Promise<Omit<Observed, 'body'>> {
  const { status, fields, body } = await rawExchange(port, bytes);
  return { status, headers: fields, text: body };
}

type Method = 'get' | 'post' | 'patch' | 'delete';
const operations = Object.entries(contract.document.paths).flatMap(([template, item]) =>
  (['get', 'post', 'patch', 'delete'] as const)
    .filter((method) => item[method])
    .map((method) => ({ method, template, operation: item[method] as OperationObject })),
);
const concrete = (template: string) =>
  template.replace('{id}', randomUUID()).replace('{eventId}', `evt_${randomUUID().replaceAll('-', '')}`);
const call = (http: TestApp['http'], method: Method, url: string) => request(http)[method](url);

/** Each list's query DTO: its query parameters are exactly what the DTO validates. */
const QUERY_DTOS: Record<string, { dto: new () => object; token: () => Record<string, string> }> = {
  '/admin/webhooks': { dto: ListWebhooksQueryDto, token: () => admin },
  '/events': { dto: ListEventsQueryDto, token: () => tenant() },
  '/payments': { dto: ListPaymentsQueryDto, token: () => tenant() },
  '/webhook-endpoints/{id}/deliveries': { dto: ListDeliveriesQueryDto, token: () => tenant() },
};

const visa = { amount: 1000, currency: 'usd', paymentMethodId: 'pm_card_visa' };
const declinedCard = { ...visa, paymentMethodId: 'pm_card_chargeDeclined' };
const CREATING: Array<{ path: string; body: object; stripe: string }> = [
  { path: '/payments/process', body: visa, stripe: '/v1/payment_intents' },
  { path: '/payments/fees', body: visa, stripe: '/v1/payment_intents' },
  { path: '/intents', body: { amount: 1000, currency: 'usd' }, stripe: '/v1/payment_intents' },
  { path: '/customers', body: { email: 'jane@example.com' }, stripe: '/v1/customers' },
];
/** On this machine (the harness allows private URLs), where nothing listens: deliveries fail, as they may. */
const endpointBody = { url: 'http://127.0.0.1:9/hooks', enabledEvents: ['*'] };
const anHourAgo = () => new Date(Date.now() - 3_600_000).toISOString();
/** A body each POST of the events and endpoints routes takes. */
const EVENT_ROUTE_BODIES: Record<string, () => object> = {
  '/webhook-endpoints': () => endpointBody,
  '/webhook-endpoints/{id}/recover': () => ({ since: anHourAgo() }),
  '/webhook-endpoints/{id}/rotate-secret': () => ({}),
  '/events/{id}/resend': () => ({}),
};

/**
 * Holds `table` against writes (reads go on) in a transaction of the test, starts the request
 * `held`, and once it waits on the table with `statement` (a regex of its SQL), stopped
 * mid-handler with its Idempotency-Key claimed, runs `during`; then lets it go and answers its
 * answer.
 */
async function whileHeldByWrite(
  db: DataSource,
  { table, statement }: { table: string; statement: string },
  held: () => Promise<Observed>,
  during: () => Promise<void>,
): Promise<Observed> {
  const runner = db.createQueryRunner();
  await runner.connect();
  try {
    await runner.startTransaction();
    await runner.query(`LOCK TABLE ${table} IN SHARE MODE`);
    let answered = false;
    const answer = held().finally(() => {
      answered = true;
    });
    // Read below; should `during` fail first, the held request's own failure is not the story.
    answer.catch(() => undefined);
    if (!(await untilWaiting(db, table, statement, () => answered))) {
      throw new Error(`The held request answered ${(await answer).status} before it wrote ${table}`);
    }
    await during();
    await runner.commitTransaction();
    return await answer;
  } finally {
    if (runner.isTransactionActive) await runner.rollbackTransaction();
    await runner.release();
  }
}

/**
 * Whether a session runs `statement` and waits for a lock on `table` (PostgreSQL's own view of its
 * locks) before `gaveUp()`; polled, as nothing tells the test when a statement starts to wait.
 */
async function untilWaiting(
  db: DataSource,
  table: string,
  statement: string,
  gaveUp: () => boolean,
): Promise<boolean> {
  for (;;) {
    const [{ waiting }] = await db.query<Array<{ waiting: boolean }>>(
      `SELECT EXISTS (SELECT 1 FROM pg_locks
         JOIN pg_class ON pg_class.oid = pg_locks.relation
         JOIN pg_stat_activity ON pg_stat_activity.pid = pg_locks.pid
         WHERE NOT pg_locks.granted AND pg_class.relname = $1 AND pg_stat_activity.query ~* $2) AS waiting`,
      [table, statement],
    );
    if (waiting) return true;
    if (gaveUp()) return false;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

describe('Every route, every documented outcome', () => {
  let harness: PaymentsHarness;
  let client: TestClient;
  let port: number;

  beforeAll(async () => {
    harness = await createPaymentsHarness({
      RATE_LIMIT_PAYMENTS_PER_WINDOW: '40',
      RATE_LIMIT_REFUNDS_PER_WINDOW: '40',
      RATE_LIMIT_CUSTOMERS_PER_WINDOW: '40',
      OUTGOING_WEBHOOKS_ALLOW_PRIVATE_URLS: 'true',
    });
    const address = harness.app.http.address();
    port = typeof address === 'object' && address ? address.port : 0;
  });
  beforeEach(() => {
    harness.emulator.clearFaults();
    client = new TestClient({ app: harness.app });
  });
  afterAll(() => harness.close());

  const send = (method: Method, url: string, body?: object, key: string = randomUUID()) => {
    const test = call(harness.app.http, method, url).set(client.headers);
    if (method === 'post') return observe(method, url, test.set('Idempotency-Key', key).send(body ?? {}));
    return observe(method, url, body === undefined ? test : test.send(body));
  };
  const paid = async () => (await send('post', '/payments/process', visa)).body as { id: string };

  it('creates: 201 with Location, then the same answer replayed', async () => {
    for (const { path, body } of CREATING) {
      const key = randomUUID();
      const first = await send('post', path, body, key);
      expect({ path, status: first.status }).toEqual({ path, status: 201 });
      const again = await send('post', path, body, `"${key}"`);
      expect(again.headers['idempotent-replayed']).toBe('true');
      const mismatch = await send('post', path, { ...body, description: 'another request' }, key);
      expect(mismatch.body.code).toBe('IDEMPOTENCY_KEY_MISMATCH');
    }
  });

  it('refuses what the validators refuse: 400 on bodies, keys, path ids and query parameters', async () => {
    for (const { path, body } of CREATING) {
      expect((await send('post', path, { ...body, unknown: 1 })).body.code).toBe('VALIDATION_FAILED');
      const noKey = await observe(
        'post',
        path,
        request(harness.app.http).post(path).set(client.headers).send(body),
      );
      expect(noKey.body.code).toBe('IDEMPOTENCY_KEY_REQUIRED');
      expect((await send('post', path, body, '1b9d6bcd-bbfd-1b2d-9b5d-ab8dfbbd4bed')).body.code).toBe(
        'IDEMPOTENCY_KEY_INVALID',
      );
    }
    expect((await send('post', '/refunds', { paymentId: 'nope' })).body.code).toBe('VALIDATION_FAILED');
    for (const { method, template } of operations.filter(({ template }) => template.includes('{id}'))) {
      expect((await send(method, template.replace('{id}', 'nope'))).status).toBe(400);
    }
    for (const query of ['?unknown=1', '?limit=2.5', '?status=sleeping']) {
      const answer = await observe(
        'get',
        `/admin/webhooks${query}`,
        request(harness.app.http).get(`/admin/webhooks${query}`).set(admin),
      );
      expect({ query, status: answer.status }).toEqual({ query, status: 400 });
    }
  });

  it('lists as query parameters exactly what the query DTO validates, and refuses any other', async () => {
    const queryOf = (operation: OperationObject) =>
      (operation.parameters ?? [])
        .filter((parameter): parameter is ParameterObject => 'in' in parameter && parameter.in === 'query')
        .map(({ name }) => name)
        .sort();
    // A route without a query DTO takes no query parameters.
    for (const { template, operation } of operations.filter(({ template }) => !QUERY_DTOS[template])) {
      expect({ template, query: queryOf(operation) }).toEqual({ template, query: [] });
    }
    for (const [template, { dto, token }] of Object.entries(QUERY_DTOS)) {
      const validated = [
        ...new Set(
          getMetadataStorage()
            .getTargetValidationMetadatas(dto, '', false, false)
            .map(({ propertyName }) => propertyName),
        ),
      ].sort();
      const documented = queryOf(contract.operationFor('get', template)?.operation ?? { responses: {} });
      expect({ template, documented }).toEqual({ template, documented: validated });
      const url = `${concrete(template)}?cursor_=x`;
      const answer = await observe('get', url, request(harness.app.http).get(url).set(token()));
      expect({ template, fields: answer.body.details?.fields?.map(({ field }) => field) }).toEqual({
        template,
        fields: ['cursor_'],
      });
    }
  });

  it('answers the outcomes of each route', async () => {
    // Payments, fees and intents.
    expect((await send('post', '/payments/process', declinedCard)).status).toBe(402);
    expect((await send('post', '/payments/fees', declinedCard)).status).toBe(402);
    expect((await send('post', '/payments/process', { ...visa, paymentMethodId: 'pm_unknown' })).status).toBe(
      422,
    );
    for (const { path, body } of CREATING.filter(({ path }) =>
      ['/payments/process', '/intents'].includes(path),
    )) {
      const answer = await send('post', path, { ...body, customerId: 'cus_nobody' });
      expect(answer.body.code).toBe('CUSTOMER_NOT_FOUND');
    }
    const fee = await send('post', '/payments/fees', { ...visa, relatedPaymentId: randomUUID() });
    expect(fee.body.code).toBe('RELATED_PAYMENT_NOT_FOUND');

    // Reads.
    const payment = await paid();
    expect((await send('get', `/payments/${payment.id}`)).status).toBe(200);
    expect((await send('get', `/payments/${payment.id}/refunds`)).status).toBe(200);
    expect((await send('get', '/payments?status=succeeded&limit=5')).status).toBe(200);
    const customer = (await send('post', '/customers', {})).body as { id: string };
    expect((await send('get', `/customers/${customer.id}`)).status).toBe(200);
    for (const template of ['/payments/{id}', '/payments/{id}/refunds', '/refunds/{id}', '/customers/{id}']) {
      expect((await send('get', concrete(template))).status).toBe(404);
    }

    // Refunds.
    const refund = await send('post', '/refunds', { paymentId: payment.id, amount: 400 });
    expect(refund.status).toBe(201);
    expect((await send('get', `/refunds/${String(refund.body.id)}`)).status).toBe(200);
    expect((await send('post', '/refunds', { paymentId: payment.id, amount: 700 })).body.code).toBe(
      'REFUND_EXCEEDS_PAYMENT',
    );
    expect((await send('post', '/refunds', { paymentId: randomUUID() })).body.code).toBe('PAYMENT_NOT_FOUND');
    const declined = await send('post', '/payments/process', declinedCard);
    const paymentId = String((declined.body.details as { paymentId?: string } | undefined)?.paymentId);
    expect((await send('post', '/refunds', { paymentId })).body.code).toBe('PAYMENT_NOT_REFUNDABLE');

    // Webhooks and the inbox.
    const event = stripeEvent('customer.created', { id: 'cus_x', object: 'customer' });
    const delivered = await deliver(harness.app, event);
    record('post', '/webhooks/stripe', {
      status: delivered.status,
      headers: delivered.headers,
      text: delivered.text,
    });
    const payload = JSON.stringify(stripeEvent('customer.created', { id: 'cus_y', object: 'customer' }));
    const webhook = (contentType: string, signature: string, body: string) =>
      observe(
        'post',
        '/webhooks/stripe',
        request(harness.app.http)
          .post('/webhooks/stripe')
          .set('Content-Type', contentType)
          .set('Stripe-Signature', signature)
          .send(body),
      );
    expect((await webhook('application/json', 't=1,v1=00', payload)).status).toBe(400);
    expect((await webhook('text/plain', signatureFor(payload), payload)).status).toBe(415);
    const huge = JSON.stringify({ ...event, padding: 'x'.repeat(1_100_000) });
    expect((await webhook('application/json', signatureFor(huge), huge)).status).toBe(413);
    const asAdmin = (method: 'get' | 'post', url: string) =>
      observe(method, url, call(harness.app.http, method, url).set(admin));
    expect((await asAdmin('get', '/admin/webhooks?limit=5')).status).toBe(200);
    expect((await asAdmin('post', `/admin/webhooks/${event.id}/replay`)).status).toBe(202);
    expect((await asAdmin('post', '/admin/webhooks/evt_nobody/replay')).status).toBe(404);

    // Operations.
    for (const url of ['/health', '/health/ready', '/metrics']) {
      expect((await observe('get', url, request(harness.app.http).get(url))).status).toBe(200);
    }
  });

  it('answers the outcomes of the events and webhook endpoints routes', async () => {
    // An endpoint: created, its creation replayed, its key reused for another body, a URL refused.
    const key = randomUUID();
    const created = await send('post', '/webhook-endpoints', endpointBody, key);
    expect(created.status).toBe(201);
    const id = String(created.body.id);
    expect(created.headers.location).toBe(`/webhook-endpoints/${id}`);
    const replayed = await send('post', '/webhook-endpoints', endpointBody, key);
    expect(replayed.headers['idempotent-replayed']).toBe('true');
    const mismatch = await send(
      'post',
      '/webhook-endpoints',
      { ...endpointBody, description: 'another' },
      key,
    );
    expect(mismatch.body.code).toBe('IDEMPOTENCY_KEY_MISMATCH');
    const refused = await send('post', '/webhook-endpoints', { ...endpointBody, url: 'not a url' });
    expect(refused.body.code).toBe('WEBHOOK_URL_INVALID');

    // Its reads and changes, and a new secret (the key of the creation is another request's).
    expect((await send('get', '/webhook-endpoints')).status).toBe(200);
    expect((await send('get', `/webhook-endpoints/${id}`)).status).toBe(200);
    expect((await send('get', `/webhook-endpoints/${id}/deliveries?limit=5`)).status).toBe(200);
    expect((await send('patch', `/webhook-endpoints/${id}`, { description: 'orders' })).status).toBe(200);
    const badUrl = await send('patch', `/webhook-endpoints/${id}`, { url: 'ftp://example.invalid/hooks' });
    expect(badUrl.body.code).toBe('WEBHOOK_URL_INVALID');
    expect((await send('post', `/webhook-endpoints/${id}/rotate-secret`)).status).toBe(200);
    const rotatedUnderAnotherKey = await send('post', `/webhook-endpoints/${id}/rotate-secret`, {}, key);
    expect(rotatedUnderAnotherKey.body.code).toBe('IDEMPOTENCY_KEY_MISMATCH');

    // An event of the tenant: read, listed, delivered again; the endpoint's failures recovered.
    const paymentId = await insertPayment(harness.app, client.tenantId);
    // Not relayed: the resend below makes its one delivery.
    const draft = paymentEvent(client.tenantId, paymentId, 'succeeded');
    const [eventId] = await recordEvents(harness.app, [draft], { relay: false });
    expect((await send('get', `/events?paymentId=${paymentId}&limit=5`)).status).toBe(200);
    expect((await send('get', `/events/${eventId}`)).status).toBe(200);
    const resend = randomUUID();
    expect((await send('post', `/events/${eventId}/resend`, { endpointId: id }, resend)).status).toBe(202);
    expect((await send('post', `/events/${eventId}/resend`, {}, resend)).body.code).toBe(
      'IDEMPOTENCY_KEY_MISMATCH',
    );
    const elsewhere = await send('post', `/events/${eventId}/resend`, { endpointId: randomUUID() });
    expect(elsewhere.body.code).toBe('WEBHOOK_ENDPOINT_NOT_FOUND');
    const recovery = randomUUID();
    const since = anHourAgo();
    expect((await send('post', `/webhook-endpoints/${id}/recover`, { since }, recovery)).status).toBe(202);
    const recoveredAgain = await send(
      'post',
      `/webhook-endpoints/${id}/recover`,
      { since: anHourAgo() },
      recovery,
    );
    expect(recoveredAgain.body.code).toBe('IDEMPOTENCY_KEY_MISMATCH');

    // Disabled, it takes no redelivery.
    expect((await send('patch', `/webhook-endpoints/${id}`, { disabled: true })).status).toBe(200);
    expect((await send('post', `/events/${eventId}/resend`, { endpointId: id })).body.code).toBe(
      'WEBHOOK_ENDPOINT_DISABLED',
    );
    expect((await send('post', `/webhook-endpoints/${id}/recover`, { since })).body.code).toBe(
      'WEBHOOK_ENDPOINT_DISABLED',
    );

    // Unknown ids, on every route that takes one; then the endpoint deleted.
    for (const { method, template } of operations.filter(({ template }) =>
      /^\/(events|webhook-endpoints)\/\{id\}/.test(template),
    )) {
      const answer = await send(method, concrete(template), EVENT_ROUTE_BODIES[template]?.());
      expect({ template, method, status: answer.status }).toEqual({ template, method, status: 404 });
    }
    expect((await send('delete', `/webhook-endpoints/${id}`)).status).toBe(204);

    // A tenant holds at most WEBHOOK_ENDPOINTS_PER_TENANT endpoints.
    const limit = harness.app.config.outgoingWebhooks.endpointsPerTenant;
    for (let i = 0; i < limit; i++) {
      expect((await send('post', '/webhook-endpoints', endpointBody)).status).toBe(201);
    }
    const over = await send('post', '/webhook-endpoints', endpointBody);
    expect(over.body).toMatchObject({ code: 'WEBHOOK_ENDPOINT_LIMIT_REACHED', details: { limit } });
  });

  it('answers 409 to the same key while an endpoint’s creation or rotation still runs', async () => {
    const db = harness.app.app.get(DataSource);
    const key = randomUUID();
    const created = await whileHeldByWrite(
      db,
      { table: 'webhook_endpoints', statement: '^\\s*INSERT INTO webhook_endpoints' },
      () => send('post', '/webhook-endpoints', endpointBody, key),
      async () => {
        const second = await send('post', '/webhook-endpoints', endpointBody, key);
        expect({ code: second.body.code, retryAfter: second.headers['retry-after'] }).toEqual({
          code: 'DUPLICATE_IN_PROGRESS',
          retryAfter: expect.any(String) as string,
        });
      },
    );
    expect(created.status).toBe(201);
    const rotation = randomUUID();
    const rotate = `/webhook-endpoints/${String(created.body.id)}/rotate-secret`;
    const rotated = await whileHeldByWrite(
      db,
      { table: 'webhook_endpoints', statement: 'SET previous_secret = secret' },
      () => send('post', rotate, {}, rotation),
      async () => {
        expect((await send('post', rotate, {}, rotation)).body.code).toBe('DUPLICATE_IN_PROGRESS');
      },
    );
    expect(rotated.status).toBe(200);
  });

  it('answers 401 without a token, 403 to a tenant on admin routes, 413 and 415 on bodies', async () => {
    // A PATCH or a DELETE is read as a POST is, whether or not its route takes a body.
    for (const { method, template, operation } of operations) {
      const url = concrete(template);
      if ((operation.security ?? []).length > 0) {
        expect((await observe(method, url, call(harness.app.http, method, url))).status).toBe(401);
      }
      if (operation.responses['403']) {
        expect((await observe(method, url, call(harness.app.http, method, url).set(tenant()))).status).toBe(
          403,
        );
      }
      if (method !== 'get' && operation.responses['415']) {
        const xml = call(harness.app.http, method, url)
          .set(client.headers)
          .set('Idempotency-Key', randomUUID())
          .set('Content-Type', 'application/xml')
          .send('<amount>1</amount>');
        expect((await observe(method, url, xml)).status).toBe(415);
      }
      if (method !== 'get' && operation.responses['413'] && template !== '/webhooks/stripe') {
        const big = call(harness.app.http, method, url)
          .set(client.headers)
          .set('Idempotency-Key', randomUUID())
          .send({ description: 'x'.repeat(120_000) });
        expect((await observe(method, url, big)).status).toBe(413);
      }
    }
  });

  it('answers 409 to a second request while the first still runs, and 502 when Stripe fails', async () => {
    for (const { path, body, stripe } of CREATING) {
      harness.emulator.addLatency(1500, { path: stripe });
      const key = randomUUID();
      const first = send('post', path, body, key);
      await new Promise((resolve) => setTimeout(resolve, 400));
      const second = await send('post', path, body, key);
      expect({ path, status: second.status }).toEqual({ path, status: 409 });
      expect((await first).status).toBe(201);
      harness.emulator.clearFaults();
      harness.emulator.failNext(1, 500, { path: stripe });
      expect((await send('post', path, body)).status).toBe(502);
    }
    const payment = await paid();
    harness.emulator.failNext(1, 500, { path: '/v1/refunds' });
    expect((await send('post', '/refunds', { paymentId: payment.id })).status).toBe(502);
    // A fresh payment: the refund Stripe failed above holds its amount until it is settled.
    const another = await paid();
    harness.emulator.addLatency(1500, { path: '/v1/refunds' });
    const key = randomUUID();
    const first = send('post', '/refunds', { paymentId: another.id, amount: 100 }, key);
    await new Promise((resolve) => setTimeout(resolve, 400));
    const second = await send('post', '/refunds', { paymentId: another.id, amount: 100 }, key);
    expect(second.body.code).toBe('DUPLICATE_IN_PROGRESS');
    expect((await first).status).toBe(201);
  });

  it('answers 429 past a tenant’s budget on every rate-limited route', async () => {
    for (const { method, template, operation } of operations.filter(
      ({ operation }) => operation.responses['429'],
    )) {
      const spender = new TestClient({ app: harness.app });
      let last: Observed | undefined;
      for (let i = 0; i < 41 && last?.status !== 429; i++) {
        last = await observe(
          method,
          template,
          call(harness.app.http, method, template)
            .set(spender.headers)
            .set('Idempotency-Key', randomUUID())
            .send({}),
        );
      }
      expect({ template, status: last?.status, retryAfter: Boolean(last?.headers['retry-after']) }).toEqual({
        template,
        status: 429,
        retryAfter: true,
      });
      expect(operation.operationId).toBeDefined();
    }
  });

  it('answers the HTTP parser’s 400 and 431 as the error body on every route', async () => {
    for (const { method, template } of operations) {
      const url = concrete(template);
      const line = `${method.toUpperCase()} ${url} HTTP/1.1\r\nHost: x\r\n`;
      const malformed = record(method, url, await rawAnswer(port, `${line}Bad Header: x\r\n\r\n`));
      expect(malformed.body.code).toBe('MALFORMED_REQUEST');
      const large = record(
        method,
        url,
        await rawAnswer(port, `${line}X-Large: ${'x'.repeat(20_000)}\r\n\r\n`),
      );
      expect(large.status).toBe(431);
    }
  });

  it('answers ROUTE_NOT_FOUND on every API route of a worker process', async () => {
    const worker = await createTestApp({ env: { WORKER_MODE: 'worker' } });
    try {
      for (const { method, template } of operations) {
        const url = concrete(template);
        const answer = await observe(method, url, call(worker.http, method, url).set(tenant()));
        const operational = template.startsWith('/health') || template === '/metrics';
        expect({ template, status: answer.status }).toEqual({ template, status: operational ? 200 : 404 });
      }
    } finally {
      await worker.close();
    }
  });

  it('answers 503 with Retry-After on every route that needs PostgreSQL when it is unreachable', async () => {
    const proxy = await TcpProxy.start(Number(new URL(process.env.TEST_DATABASE_URL ?? '').port || 5432));
    const url = new URL(process.env.TEST_DATABASE_URL ?? '');
    url.port = String(proxy.port);
    const outage = await createPaymentsHarness({ DATABASE_URL: url.toString() });
    try {
      await proxy.stop();
      for (const { method, template, operation } of operations) {
        if (!operation.responses['503'] || operation.operationId === 'getLiveness') continue;
        const target = concrete(template);
        let test = call(outage.app.http, method, target).set(
          template.startsWith('/admin') ? admin : tenant(),
        );
        if (template === '/webhooks/stripe') {
          const payload = JSON.stringify(
            stripeEvent('customer.created', { id: 'cus_z', object: 'customer' }),
          );
          test = test
            .set('Content-Type', 'application/json')
            .set('Stripe-Signature', signatureFor(payload))
            .send(payload);
        } else if (method === 'post') {
          const body = CREATING.find(({ path }) => path === template)?.body ??
            EVENT_ROUTE_BODIES[template]?.() ?? { paymentId: randomUUID() };
          test = test.set('Idempotency-Key', randomUUID()).send(body);
        }
        const answer = await observe(method, target, test);
        expect({ template, status: answer.status }).toEqual({ template, status: 503 });
      }
    } finally {
      await proxy.start();
      await outage.close();
      await proxy.stop();
    }
  });

  it('has provoked every outcome the document lists, but those it says why not', () => {
    const missing = operations.flatMap(({ operation }) =>
      Object.keys(operation.responses)
        .map((status) => `${operation.operationId} ${status}`)
        .filter((outcome) => !seen.has(outcome))
        .filter((outcome) => !NOT_PROVOKED[outcome] && !NOT_PROVOKED[`* ${outcome.split(' ')[1]}`]),
    );
    expect(missing).toEqual([]);
  });
});
