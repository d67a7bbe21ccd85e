import { Client } from 'pg';
import type { BenchAnswer } from './bench.module';
import { BENCH_DATABASE_URL } from './bench-protocol';
import {
  AMOUNT,
  BODY,
  Context,
  IdempotencyScenario,
  REPLAYED_HEADER,
  signedEvent,
  WEBHOOK_PATH,
  WEBHOOK_RECEIPT,
} from './scenarios';

/** What every answer must be, and the sanity checks run before any load. */

export const REQUEST_TIMEOUT_S = 10;

export interface CheckTally {
  responses: number;
  failed: number;
  firstProblem?: string;
}

export function headerValue(headers: Record<string, string | string[]>, name: string): string | undefined {
  for (const [key, value] of Object.entries(headers)) {
    if (key.toLowerCase() === name) return Array.isArray(value) ? value.join(', ') : value;
  }
  return undefined;
}

/** Why a response is not what the scenario must answer, or undefined when it is. */
export function problemWith(
  scenario: IdempotencyScenario,
  context: Context,
  status: number,
  body: string,
  replayed: string | undefined,
): string | undefined {
  if (status !== 201) return `status ${status}: ${body.slice(0, 200)}`;
  if (scenario === 'replay') {
    if (replayed !== 'true') return `a replay answered without ${REPLAYED_HEADER}: true`;
    if (body !== context.replayBody) return 'a replay answered another body than the first execution';
    return undefined;
  }
  if (replayed !== undefined) return `${scenario} answered with ${REPLAYED_HEADER}: ${replayed}`;
  try {
    const answer = JSON.parse(body) as Partial<BenchAnswer>;
    if (answer.amount !== AMOUNT || typeof answer.id !== 'string') return `unexpected body ${body}`;
  } catch {
    return `body is not JSON: ${body.slice(0, 200)}`;
  }
  return undefined;
}

/** Why a webhook answer is not the acknowledgement of a new event, or undefined when it is. */
export function webhookProblemWith(status: number, body: string): string | undefined {
  if (status !== 200) return `status ${status}: ${body.slice(0, 200)}`;
  if (body !== WEBHOOK_RECEIPT) return `not ${WEBHOOK_RECEIPT} (a new event): ${body.slice(0, 200)}`;
  return undefined;
}

/** How many of these events are rows of webhook_inbox. */
export async function countStoredEvents(eventIds: readonly string[]): Promise<number> {
  const client = new Client({ connectionString: BENCH_DATABASE_URL, connectionTimeoutMillis: 5000 });
  await client.connect();
  try {
    const { rows } = await client.query<{ stored: number }>(
      'SELECT count(*)::int AS stored FROM webhook_inbox WHERE event_id = ANY($1::text[])',
      [eventIds],
    );
    return rows[0].stored;
  } finally {
    await client.end();
  }
}

interface SingleAnswer {
  status: number;
  body: string;
  replayed: string | null;
}

async function post(
  context: Context,
  route: string,
  headers: Record<string, string>,
  body = BODY,
): Promise<SingleAnswer> {
  const response = await fetch(`http://127.0.0.1:${context.port}${route}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body,
    signal: AbortSignal.timeout(REQUEST_TIMEOUT_S * 1000),
  });
  return {
    status: response.status,
    body: await response.text(),
    replayed: response.headers.get(REPLAYED_HEADER),
  };
}

function expect(condition: boolean, what: string, answer: SingleAnswer): void {
  if (!condition)
    throw new Error(`sanity check failed: ${what} (got ${answer.status} ${answer.body.slice(0, 200)})`);
}

/** Proves the routes behave as the scenarios assume, and executes the replay key once. */
export async function prepare(context: Context): Promise<void> {
  const auth = { authorization: context.authorization };
  const key = { 'idempotency-key': context.replayKey };
  context.issuedKeys.push(context.replayKey);

  const anonymous = await post(context, '/bench/bare', {});
  expect(anonymous.status === 401, 'POST /bench/bare without a token is 401', anonymous);
  const bare = await post(context, '/bench/bare', auth);
  expect(bare.status === 201 && bare.replayed === null, 'POST /bench/bare is 201', bare);
  const keyless = await post(context, '/bench/idempotent', auth);
  expect(keyless.status === 400, 'POST /bench/idempotent without Idempotency-Key is 400', keyless);

  const first = await post(context, '/bench/idempotent', { ...auth, ...key });
  expect(first.status === 201 && first.replayed === null, 'the first use of a key executes (201)', first);
  const again = await post(context, '/bench/idempotent', { ...auth, ...key });
  expect(
    again.status === 201 && again.replayed === 'true' && again.body === first.body,
    'the second use of a key replays the first answer',
    again,
  );
  context.replayBody = first.body;

  const event = signedEvent();
  const unsigned = await post(context, WEBHOOK_PATH, {}, event.payload);
  expect(unsigned.status === 400, 'an unsigned event is 400', unsigned);
  const signature = { 'stripe-signature': event.signature };
  const received = await post(context, WEBHOOK_PATH, signature, event.payload);
  expect(
    received.status === 200 && received.body === WEBHOOK_RECEIPT,
    `a signed event is 200 ${WEBHOOK_RECEIPT}`,
    received,
  );
  const redelivered = await post(context, WEBHOOK_PATH, signature, event.payload);
  expect(
    redelivered.status === 200 && redelivered.body === JSON.stringify({ received: true, duplicate: true }),
    'the same event again is 200 and a duplicate',
    redelivered,
  );
  expect((await countStoredEvents([event.id])) === 1, 'the signed event is a row of webhook_inbox', received);
}
