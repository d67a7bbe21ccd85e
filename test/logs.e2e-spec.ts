import { randomBytes, randomUUID } from 'node:crypto';
import { Client as PgClient } from 'pg';
import request from 'supertest';
import { createPaymentsHarness, PaymentsHarness } from './support/payments-app';
import { ServiceProcess } from './support/service-process';
import { TcpProxy } from './support/tcp-proxy';
import { eventually } from './support/time';
import { bearer, signToken } from './support/tokens';

const JWT_SECRET = `log-check-jwt-secret-${randomBytes(12).toString('hex')}`;
const STRIPE_SECRET_KEY = `sk_test_logcheck${randomBytes(12).toString('hex')}`;
const WEBHOOK_SECRET = `whsec_logcheck${randomBytes(12).toString('hex')}`;

const visa = { amount: 1000, currency: 'usd', paymentMethodId: 'pm_card_visa' };

/** A token with `alg: none`: no signature at all. */
function unsignedToken(tenantId: string): string {
  const encode = (part: object) => Buffer.from(JSON.stringify(part)).toString('base64url');
  const exp = Math.floor(Date.now() / 1000) + 300;
  return `${encode({ alg: 'none', typ: 'JWT' })}.${encode({ sub: 'user-1', tenant_id: tenantId, exp })}.`;
}

/**
 * No stack trace, SQL or secret in any log line. The service runs as its own process,
 * logging at debug level, through a run full of failures (PostgreSQL cut and hanging, Stripe
 * 5xx, bad tokens and bodies, a declined card, an intent's client secret, a webhook
 * signature); then everything it wrote is searched.
 */
describe('Logs', () => {
  let stripe: PaymentsHarness;
  let proxy: TcpProxy;
  let service: ServiceProcess;
  /** Every credential and secret value the run sent or received: none may be logged. */
  const secrets: string[] = [JWT_SECRET, STRIPE_SECRET_KEY, WEBHOOK_SECRET];
  const tenantId = randomUUID();
  const token = signToken({ tenantId, secret: JWT_SECRET });
  secrets.push(token, token.split('.')[2]);

  const post = (path: string, body: object | string, headers: Record<string, string> = bearer(token)) =>
    request(service.url)
      .post(path)
      .set(headers)
      .set('Idempotency-Key', randomUUID())
      .set('Content-Type', 'application/json')
      .send(typeof body === 'string' ? body : JSON.stringify(body));

  beforeAll(async () => {
    // The harness is only here for its Stripe emulator and fault injection.
    stripe = await createPaymentsHarness();
    const databaseUrl = new URL(process.env.TEST_DATABASE_URL ?? '');
    proxy = await TcpProxy.start(Number(databaseUrl.port || 5432));
    databaseUrl.port = String(proxy.port);
    service = await ServiceProcess.start({
      LOG_LEVEL: 'debug',
      DATABASE_URL: databaseUrl.toString(),
      DATABASE_QUERY_TIMEOUT_MS: '1000',
      JWT_SECRET,
      STRIPE_API_URL: stripe.emulator.url,
      STRIPE_SECRET_KEY,
      STRIPE_WEBHOOK_SECRET: WEBHOOK_SECRET,
      STRIPE_MAX_NETWORK_RETRIES: '0',
      STRIPE_TIMEOUT_MS: '5000',
    });
  }, 60000);
  afterAll(async () => {
    await service?.stop();
    await proxy?.stop();
    await stripe?.close();
  });

  it('logs every failure of a failure-heavy run, with no stack, SQL or secret in any line', async () => {
    // Money routes: a payment, a declined card, an intent and its client secret, Stripe 5xx.
    expect((await post('/payments/process', visa)).status).toBe(201);
    const declined = await post('/payments/process', { ...visa, paymentMethodId: 'pm_card_chargeDeclined' });
    expect(declined.status).toBe(402);
    const intent = await post('/intents', { amount: 500, currency: 'usd' });
    expect(intent.status).toBe(201);
    expect(intent.body.clientSecret).toMatch(/^pi_.+_secret_/);
    secrets.push(intent.body.clientSecret);
    stripe.emulator.failNext(1, 500, { method: 'POST', path: '/v1/payment_intents' });
    expect((await post('/payments/process', visa)).status).toBe(502);
    stripe.emulator.failNext(1, 503, { method: 'POST', path: '/v1/payment_intents' });
    expect((await post('/intents', { amount: 500, currency: 'usd' })).status).toBe(502);

    // Bad credentials: wrong secret, expired, alg none, garbage.
    const badTokens = [
      signToken({ tenantId, secret: 'another-secret-entirely-0123456789' }),
      signToken({ tenantId, secret: JWT_SECRET, expiresInSeconds: -60 }),
      unsignedToken(tenantId),
      'not.a.jwt',
    ];
    secrets.push(...badTokens.filter((bad) => bad !== 'not.a.jwt'));
    for (const bad of badTokens)
      expect((await post('/payments/process', visa, bearer(bad))).status).toBe(401);

    // Bad bodies: validation, malformed JSON, too large.
    expect((await post('/payments/process', { ...visa, amount: 'ten', cardNumber: 'x' })).status).toBe(400);
    expect((await post('/payments/process', '{"amount": 10,')).status).toBe(400);
    expect((await post('/payments/process', { ...visa, description: 'x'.repeat(200_000) })).status).toBe(413);

    // A webhook-like POST: its Stripe-Signature header is a credential too.
    const signature = `t=${Math.floor(Date.now() / 1000)},v1=${randomBytes(32).toString('hex')}`;
    secrets.push(signature.split('v1=')[1]);
    const webhook = await request(service.url)
      .post('/webhooks/stripe')
      .set('Stripe-Signature', signature)
      .set('Content-Type', 'application/json')
      .send(JSON.stringify({ id: 'evt_1', type: 'payment_intent.succeeded' }));
    expect(webhook.status).toBeGreaterThanOrEqual(400);

    // A statement PostgreSQL cancels after DATABASE_QUERY_TIMEOUT_MS: a refund waiting on the
    // payment's row lock, which another connection holds. PostgreSQL's error carries the query.
    const payment = await post('/payments/process', visa);
    expect(payment.status).toBe(201);
    const locker = new PgClient({ connectionString: process.env.TEST_DATABASE_URL });
    await locker.connect();
    try {
      await locker.query('BEGIN');
      await locker.query('SELECT id FROM payment_transactions WHERE id = $1 FOR UPDATE', [payment.body.id]);
      expect((await post('/refunds', { paymentId: payment.body.id })).status).toBe(503);
      await locker.query('ROLLBACK');
    } finally {
      await locker.end();
    }

    // PostgreSQL hanging: the client's query timeout answers 503.
    proxy.pause();
    expect((await post('/payments/process', visa)).status).toBe(503);
    proxy.resume();

    // PostgreSQL cut off: refused connections answer 503 too.
    await proxy.stop();
    expect((await post('/payments/process', visa)).status).toBe(503);
    expect((await request(service.url).get(`/payments/${randomUUID()}`).set(bearer(token))).status).toBe(503);
    expect((await request(service.url).get('/health/ready')).status).toBe(503);
    await proxy.start();
    await eventually(async () => expect((await post('/payments/process', visa)).status).toBe(201), 15000);

    // The last request's line marks the end of the run in the log.
    const last = randomUUID();
    await request(service.url).get(`/payments/${randomUUID()}`).set(bearer(token)).set('X-Request-Id', last);
    await eventually(() => Promise.resolve(expect(service.output).toContain(last)));
    const log = service.output;
    const lines = log.split('\n').filter(Boolean);

    // The failures were logged: with logs off or lost this test cannot pass.
    for (const status of [400, 401, 402, 413, 502, 503]) {
      expect(lines.some((line) => line.includes(`"statusCode":${status}`))).toBe(true);
    }
    expect(lines.filter((line) => line.includes('"level":50')).length).toBeGreaterThanOrEqual(5);
    // A hung PostgreSQL is reported by whichever of the request's pipelined statements fails
    // first: the one whose read timed out, or one the pool cut off with the connection it dropped.
    for (const causes of [
      ['ECONNREFUSED'],
      ['Query read timeout', 'Connection terminated unexpectedly'],
      ['statement timeout'],
    ]) {
      expect({
        causes,
        logged: lines.some(
          (line) => line.includes('Database unavailable') && causes.some((cause) => line.includes(cause)),
        ),
      }).toEqual({ causes, logged: true });
    }

    // No stack trace.
    expect(log).not.toMatch(/\n\s+at \S/);
    expect(log).not.toMatch(/\\n\s+at \S/);
    expect(log).not.toMatch(/\bat (Object\.|async |new )?[\w$.<>]+ \(.*:\d+:\d+\)/);
    // No SQL.
    const sql = /\bSELECT\b[\s\S]*?\bFROM\b|\bINSERT INTO\b|\bUPDATE\b\s+"?\w+"?\s+SET\b|\bDELETE FROM\b/;
    expect(lines.filter((line) => sql.test(line))).toEqual([]);
    // No secret, token or client secret.
    for (const secret of secrets) expect(lines.filter((line) => line.includes(secret))).toEqual([]);
    const secretShapes = /_secret_\w|whsec_\w|sk_(test|live)_\w/;
    expect(lines.filter((line) => secretShapes.test(line))).toEqual([]);
  });

  it('writes one access line per request, with its id, and that id on every line written while serving it', async () => {
    const id = (name: string) => `${name}-${randomUUID()}`;
    const withId = (requestId: string) => ({ ...bearer(token), 'X-Request-Id': requestId });
    const ids = { health: id('health'), paid: id('paid'), malformed: id('malformed'), cut: id('cut') };

    expect((await request(service.url).get('/health').set('X-Request-Id', ids.health)).status).toBe(200);
    const paid = await post('/payments/process', visa, withId(ids.paid));
    expect(paid.status).toBe(201);
    expect(paid.headers['x-request-id']).toBe(ids.paid);
    // Refused by the body parser, before any route: an id and a line all the same.
    const malformed = await post('/payments/process', '{"amount": 10,', withId(ids.malformed));
    expect(malformed.status).toBe(400);
    expect(malformed.headers['x-request-id']).toBe(ids.malformed);
    // An id the service will not repeat (spaces) is replaced by a UUID of its own.
    const replaced = await post('/payments/process', visa, withId('not a sane id'));
    expect(replaced.status).toBe(201);
    expect(replaced.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);

    // A line written while a request is served (the filter's, with PostgreSQL cut) carries its id.
    await proxy.stop();
    expect((await post('/payments/process', visa, withId(ids.cut))).status).toBe(503);
    await proxy.start();

    // A client that goes away before its answer: PostgreSQL holds the request, the client leaves.
    proxy.pause();
    const aborted = id('aborted');
    const gone = await post('/payments/process', visa, withId(aborted))
      .timeout(300)
      .then(
        () => 'answered',
        () => 'gone',
      );
    expect(gone).toBe('gone');
    const linesOf = (requestId: string) =>
      service.output
        .split('\n')
        .filter((line) => line.includes(requestId))
        .map((line) => JSON.parse(line) as Record<string, unknown>);
    await eventually(() => Promise.resolve(expect(linesOf(aborted)).toHaveLength(1)), 5000);
    proxy.resume();
    await eventually(async () => expect((await post('/payments/process', visa)).status).toBe(201), 15000);

    expect(linesOf(aborted)[0]).toMatchObject({ level: 40, msg: 'request aborted', req: { id: aborted } });
    expect(linesOf(ids.paid)).toEqual([
      expect.objectContaining({
        level: 30,
        msg: 'request completed',
        req: { id: ids.paid, method: 'POST', url: '/payments/process' },
        res: { statusCode: 201 },
        responseTime: expect.any(Number),
        tenantId,
      }),
    ]);
    expect(linesOf(ids.malformed)).toEqual([
      expect.objectContaining({ level: 40, msg: 'request completed', res: { statusCode: 400 } }),
    ]);
    expect(linesOf(replaced.headers['x-request-id'])).toHaveLength(1);
    expect(linesOf(ids.cut).map((line) => line.msg)).toEqual(['Database unavailable', 'request completed']);
    expect(linesOf(ids.cut)[0]).toMatchObject({ level: 40, req: { id: ids.cut } });
    expect(linesOf(ids.health)).toEqual([]);
  });
});
