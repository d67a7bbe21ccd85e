import { randomUUID } from 'node:crypto';
import fc from 'fast-check';
import request from 'supertest';
import { PaymentsHarness, usePaymentsHarness } from './support/payments-app';
import { TestClient } from './support/test-client';

/** Every money POST; a new route is one line here. */
const POST_ROUTES = ['/payments/process', '/payments/fees', '/intents', '/refunds', '/customers'] as const;

const RUNS = Number(process.env.FUZZ_RUNS ?? 1500);
const SEED = Number(process.env.FUZZ_SEED ?? Date.now() % 2 ** 31);

const nastyText = fc.oneof(
  fc.string({ maxLength: 20 }),
  fc.string({ unit: 'binary', maxLength: 20 }),
  fc.constantFrom(
    '\u0000',
    '\ud800',
    'a\udc00',
    '\u202e',
    '\r\n',
    'NaN',
    'Infinity',
    '-0',
    '1e309',
    '0x10',
    ' usd',
  ),
  fc.constantFrom('__proto__', 'constructor', 'prototype'),
  fc.integer({ min: 1000, max: 120_000 }).map((length) => 'x'.repeat(length)),
);

const nastyValue: fc.Arbitrary<unknown> = fc.oneof(
  fc.constant(null),
  fc.boolean(),
  fc.integer(),
  fc.constantFrom(
    0,
    -1,
    99_999_999,
    100_000_000,
    Number.MAX_SAFE_INTEGER,
    2 ** 53 + 1,
    1e308,
    -1e308,
    0.5,
    1.0000001,
  ),
  fc.double(),
  nastyText,
  fc.array(fc.oneof(fc.integer(), nastyText), { maxLength: 4 }),
  fc.dictionary(nastyText, fc.oneof(nastyText, fc.constant(null), fc.integer()), { maxKeys: 4 }),
  fc
    .integer({ min: 1, max: 3000 })
    .map((depth) => JSON.parse(`${'['.repeat(depth)}${']'.repeat(depth)}`) as unknown),
);

interface FuzzCase {
  route: (typeof POST_ROUTES)[number];
  body: string;
  contentType: string | undefined;
  keys: string[];
}

const validBody = (route: string, paymentId: string): Record<string, unknown> => {
  if (route === '/refunds') return { paymentId, amount: 1 };
  if (route === '/customers') return { email: 'fuzz@example.com', name: 'Fuzz', metadata: { a: 'b' } };
  return {
    amount: 100,
    currency: 'usd',
    ...(route === '/intents' ? {} : { paymentMethodId: 'pm_card_visa' }),
  };
};

const fuzzCase = (paymentId: string): fc.Arbitrary<FuzzCase> =>
  fc
    .record({
      route: fc.constantFrom(...POST_ROUTES),
      mutations: fc.array(fc.tuple(nastyText, nastyValue, fc.boolean()), { maxLength: 3 }),
      raw: fc.option(
        fc.oneof(
          fc.json(),
          nastyText,
          fc.constantFrom('{"amount":1,', '{"__proto__":{"amount":1}}', '[]', 'null', '"x"', '{"a":1,"a":2}'),
        ),
        { freq: 4 },
      ),
      contentType: fc.constantFrom(
        'application/json',
        'application/json',
        'application/json',
        'text/plain',
        'application/x-www-form-urlencoded',
        'application/json; charset=latin1',
        'multipart/form-data; boundary=x',
        undefined,
      ),
      keys: fc.oneof<fc.Arbitrary<string[]>[]>(
        fc.constant([randomUUID()]),
        fc.constant([`"${randomUUID()}"`]),
        fc.constant([randomUUID(), randomUUID()]),
        fc.constant<string[]>([]),
        fc.array(
          nastyText.filter((text) => /^[\x20-\x7e]*$/.test(text)),
          { minLength: 1, maxLength: 2 },
        ),
      ),
    })
    .map(({ route, mutations, raw, contentType, keys }) => {
      const body = validBody(route, paymentId);
      for (const [field, value, onKnownField] of mutations) {
        const known = Object.keys(body);
        const target = onKnownField && known.length > 0 ? known[field.length % known.length] : field;
        Object.defineProperty(body, target, { value, enumerable: true, configurable: true, writable: true });
      }
      // Fresh keys per case, so an earlier 201 is never replayed for a later one.
      const freshKeys = keys.map((key) =>
        /^"?[0-9a-f-]{36}"?$/.test(key) ? key.replace(/[0-9a-f-]{36}/, randomUUID()) : key,
      );
      return { route, body: raw ?? JSON.stringify(body), contentType, keys: freshKeys };
    });

describe('Fuzzing the money routes', () => {
  const current = usePaymentsHarness();
  let harness: PaymentsHarness;
  let client: TestClient;
  beforeEach(() => ({ harness, client } = current()));

  const stripeMoves = () => {
    const { paymentIntentsCreated, refundsCreated, customersCreated, requests } = harness.emulator.stats();
    return { paymentIntentsCreated, refundsCreated, customersCreated, requests };
  };

  it('answers every generated request below 500 with the error body, and nothing invalid reaches Stripe', async () => {
    const payment = await client.paidPayment(100_000);
    let ran = 0;
    const started = Date.now();
    // eslint-disable-next-line no-console
    console.log(`fuzz seed ${SEED} (FUZZ_SEED=${SEED} to replay), ${RUNS} runs`);
    await fc.assert(
      fc.asyncProperty(fuzzCase(payment.id), async ({ route, body, contentType, keys }) => {
        ran += 1;
        const before = stripeMoves();
        let outgoing = request(harness.app.http).post(route).set(client.headers);
        if (contentType) outgoing = outgoing.set('Content-Type', contentType);
        if (keys.length > 0)
          outgoing = outgoing.set('Idempotency-Key', (keys.length === 1 ? keys[0] : keys) as string);
        const response = await outgoing.send(body);
        expect(response.status).toBeLessThan(500);
        if (response.status >= 400) {
          expect(response.body).toEqual(
            expect.objectContaining({
              statusCode: response.status,
              code: expect.stringMatching(/^[A-Z][A-Z0-9_]*$/),
              message: expect.any(String),
            }),
          );
        }
        if ([400, 413, 415].includes(response.status)) expect(stripeMoves()).toEqual(before);
      }),
      { seed: SEED, numRuns: RUNS, endOnFailure: true },
    );
    // eslint-disable-next-line no-console
    console.log(`fuzz: ${ran} cases in ${Date.now() - started} ms`);
    expect(ran).toBeGreaterThanOrEqual(RUNS);
    const health = await request(harness.app.http).get('/health');
    expect(health.status).toBe(200);
  });
});
