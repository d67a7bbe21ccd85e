import { Client } from 'pg';
import { BENCH_DATABASE_URL } from './bench-protocol';
import {
  AMOUNT,
  Context,
  ENDPOINT_URL,
  ENDPOINTS_PATH,
  HEALTH_PATH,
  PAYMENT_BODY,
  PAYMENT_PATH,
  REPLAYED_HEADER,
  RouteName,
  signedEvent,
  Target,
  WEBHOOK_PATH,
  WEBHOOK_RECEIPT,
} from './scenarios';

/** What every answer must be, and the sanity checks run before any load. */

export const REQUEST_TIMEOUT_S = 10;

export interface Answer {
  status: number;
  body: string;
  /** The `Idempotent-Replayed` header, if any. */
  replayed: string | undefined;
}

export interface CheckTally {
  responses: number;
  failed: number;
  firstProblem?: string;
  /** Payment ids answered so far: a new key answering an id twice would be a replay. */
  paymentIds: Set<string>;
}

export function headerValue(headers: Record<string, string | string[]>, name: string): string | undefined {
  for (const [key, value] of Object.entries(headers)) {
    if (key.toLowerCase() === name) return Array.isArray(value) ? value.join(', ') : value;
  }
  return undefined;
}

/** Why an answer is not what the route must answer, or undefined when it is. */
export function problemWith(
  route: RouteName,
  answer: Answer,
  context: Context,
  tally: CheckTally,
): string | undefined {
  switch (route) {
    case 'health':
      return answer.status === 200 && answer.body.includes('"status":"ok"')
        ? undefined
        : `health: ${describe(answer)}`;
    case 'webhook':
      return answer.status === 200 && answer.body === WEBHOOK_RECEIPT
        ? undefined
        : `not 200 ${WEBHOOK_RECEIPT} (a new event): ${describe(answer)}`;
    case 'replay':
      if (answer.status !== 201) return describe(answer);
      if (answer.replayed !== 'true') return `a replay answered without ${REPLAYED_HEADER}: true`;
      return answer.body === context.replayBody
        ? undefined
        : 'a replay answered another body than the first execution';
    case 'new payment':
    case 'subscribed payment':
    case 'reference':
      return newPaymentProblem(answer, tally.paymentIds);
  }
}

function newPaymentProblem(answer: Answer, paymentIds: Set<string>): string | undefined {
  if (answer.status !== 201) return describe(answer);
  if (answer.replayed !== undefined) return `a new key answered with ${REPLAYED_HEADER}: ${answer.replayed}`;
  let payment: Record<string, unknown>;
  try {
    payment = JSON.parse(answer.body) as Record<string, unknown>;
  } catch {
    return `body is not JSON: ${answer.body.slice(0, 200)}`;
  }
  const { id, amount, status, stripePaymentIntentId } = payment;
  const charged =
    typeof id === 'string' &&
    amount === AMOUNT &&
    status === 'succeeded' &&
    typeof stripePaymentIntentId === 'string' &&
    stripePaymentIntentId.startsWith('pi_');
  if (!charged) return `not a succeeded payment of ${AMOUNT}: ${answer.body.slice(0, 200)}`;
  if (paymentIds.has(id)) return `payment ${id} answered twice for two keys`;
  paymentIds.add(id);
  return undefined;
}

function describe(answer: Answer): string {
  return `status ${answer.status}: ${answer.body.slice(0, 200)}`;
}

/** How many of these events are rows of webhook_inbox. */
export function countStoredEvents(eventIds: readonly string[]): Promise<number> {
  return count('SELECT count(*)::int AS n FROM webhook_inbox WHERE event_id = ANY($1::text[])', [eventIds]);
}

/** How many events the outbox holds for this payment. */
function countPaymentEvents(paymentId: string): Promise<number> {
  return count('SELECT count(*)::int AS n FROM events WHERE payment_id = $1', [paymentId]);
}

async function count(sql: string, values: unknown[]): Promise<number> {
  const client = new Client({ connectionString: BENCH_DATABASE_URL, connectionTimeoutMillis: 5000 });
  await client.connect();
  try {
    const { rows } = await client.query<{ n: number }>(sql, values);
    return rows[0].n;
  } finally {
    await client.end();
  }
}

async function send(
  context: Context,
  target: Target,
  path: string,
  headers: Record<string, string>,
  body?: string,
): Promise<Answer> {
  const response = await fetch(`http://127.0.0.1:${context.ports[target]}${path}`, {
    method: body === undefined ? 'GET' : 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body,
    signal: AbortSignal.timeout(REQUEST_TIMEOUT_S * 1000),
  });
  return {
    status: response.status,
    body: await response.text(),
    replayed: response.headers.get(REPLAYED_HEADER) ?? undefined,
  };
}

function expect(condition: boolean, what: string, answer: Answer): void {
  if (!condition) throw new Error(`sanity check failed: ${what} (got ${describe(answer)})`);
}

/** Proves the routes behave as the measurements assume, and executes the replay key once. */
export async function prepare(context: Context): Promise<void> {
  const auth = { authorization: context.authorization };
  const newKey = (): Record<string, string> => ({ 'idempotency-key': crypto.randomUUID() });
  const replayKey = { 'idempotency-key': context.replayKey };
  context.issuedKeys.push(context.replayKey);
  const ids: CheckTally = { responses: 0, failed: 0, paymentIds: new Set() };

  const health = await send(context, 'service', HEALTH_PATH, {});
  expect(problemWith('health', health, context, ids) === undefined, 'GET /health is 200 ok', health);
  const anonymous = await send(context, 'service', PAYMENT_PATH, newKey(), PAYMENT_BODY);
  expect(anonymous.status === 401, `POST ${PAYMENT_PATH} without a token is 401`, anonymous);
  const keyless = await send(context, 'service', PAYMENT_PATH, auth, PAYMENT_BODY);
  expect(keyless.status === 400, `POST ${PAYMENT_PATH} without Idempotency-Key is 400`, keyless);

  const first = await send(context, 'service', PAYMENT_PATH, { ...auth, ...replayKey }, PAYMENT_BODY);
  expect(
    problemWith('new payment', first, context, ids) === undefined,
    'the first use of a key charges (201)',
    first,
  );
  context.replayBody = first.body;
  const again = await send(context, 'service', PAYMENT_PATH, { ...auth, ...replayKey }, PAYMENT_BODY);
  expect(
    problemWith('replay', again, context, ids) === undefined,
    'the second use of a key replays the first answer',
    again,
  );

  const event = signedEvent();
  const unsigned = await send(context, 'service', WEBHOOK_PATH, {}, event.payload);
  expect(unsigned.status === 400, 'an unsigned event is 400', unsigned);
  const signature = { 'stripe-signature': event.signature };
  const received = await send(context, 'service', WEBHOOK_PATH, signature, event.payload);
  expect(
    problemWith('webhook', received, context, ids) === undefined,
    `a signed event is 200 ${WEBHOOK_RECEIPT}`,
    received,
  );
  const redelivered = await send(context, 'service', WEBHOOK_PATH, signature, event.payload);
  expect(
    redelivered.status === 200 && redelivered.body === JSON.stringify({ received: true, duplicate: true }),
    'the same event again is 200 and a duplicate',
    redelivered,
  );
  expect((await countStoredEvents([event.id])) === 1, 'the signed event is a row of webhook_inbox', received);

  const subscriber = { authorization: context.subscribedAuthorization };
  const endpoint = await send(
    context,
    'service',
    ENDPOINTS_PATH,
    { ...subscriber, ...newKey() },
    JSON.stringify({ url: ENDPOINT_URL, enabledEvents: ['*'] }),
  );
  expect(endpoint.status === 201, 'the subscribed tenant registers an endpoint (201)', endpoint);
  const subscribed = await send(
    context,
    'service',
    PAYMENT_PATH,
    { ...subscriber, ...newKey() },
    PAYMENT_BODY,
  );
  expect(
    problemWith('subscribed payment', subscribed, context, ids) === undefined,
    'the subscribed tenant charges a new key (201)',
    subscribed,
  );
  const paymentId = String((JSON.parse(subscribed.body) as { id: string }).id);
  expect(
    (await countPaymentEvents(paymentId)) >= 1,
    'a payment records its events in its transaction',
    subscribed,
  );

  const referenceKey = newKey();
  const reference = await send(context, 'reference', PAYMENT_PATH, referenceKey, PAYMENT_BODY);
  expect(
    problemWith('reference', reference, context, ids) === undefined,
    'the reference charges a new key (201)',
    reference,
  );
  const taken = await send(context, 'reference', PAYMENT_PATH, referenceKey, PAYMENT_BODY);
  expect(taken.status === 409, 'the reference refuses a key already used (409)', taken);
}
