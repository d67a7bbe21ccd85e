import { createHash, randomUUID } from 'node:crypto';
import { createServer, IncomingMessage, ServerResponse } from 'node:http';
import Redis from 'ioredis';
import { Pool } from 'pg';
import Stripe from 'stripe';

/**
 * The yardstick of `npm run bench`: `POST /payments/process` with no framework, doing no less
 * durable work than the service does for a new key, so the ratio between the two is the price
 * of everything else (auth, validation, logging, metrics, the framework, the ORM). Per request:
 *
 * 1. parse the JSON body;
 * 2. Redis `SET lock NX PX`: the fast guard against a concurrent duplicate;
 * 3. ONE commit: claim the key (`ON CONFLICT DO NOTHING`, refused if taken) and insert the
 *    payment row, `processing` with its first Stripe attempt stamped (recovery point 1);
 * 4. the Stripe call: a PaymentIntent created and confirmed, with an idempotency key derived
 *    from ours, so a retry replays it instead of charging twice;
 * 5. ONE commit: the payment row updated from the PaymentIntent and the key completed with the
 *    stored response;
 * 6. Redis: the response cached and the lock released (one pipelined round trip);
 * 7. answer 201 with the payment as JSON.
 *
 * Configured by `servers.ts` through env: PORT, DATABASE_URL, REDIS_URL, STRIPE_API_URL,
 * STRIPE_SECRET_KEY, REDIS_PREFIX. Each commit is a single statement (a data-modifying CTE):
 * one transaction, one round trip, `synchronous_commit` on. It checks no token and serves one
 * tenant: the floor, not a product. Nor does it recover: a request that fails answers 500,
 * leaves its lock to expire and its key taken, and a retry of that key is refused (409).
 */

const env = (name: string): string => {
  const value = process.env[name];
  if (!value) throw new Error(`reference-server: ${name} is required`);
  return value;
};

const TENANT_ID = '00000000-0000-4000-8000-000000000000';
const USER_ID = 'reference-user';
const LOCK_TTL_MS = 60_000;
const RESPONSE_TTL_MS = 86_400_000;
const prefix = env('REDIS_PREFIX');
const stripeUrl = new URL(env('STRIPE_API_URL'));

// The same pool size as the service (`src/database/data-source-options.ts`).
const pool = new Pool({
  connectionString: env('DATABASE_URL'),
  max: 20,
  options: '-c synchronous_commit=on',
});
const redis = new Redis(env('REDIS_URL'));
const stripe = new Stripe(env('STRIPE_SECRET_KEY'), {
  host: stripeUrl.hostname,
  port: stripeUrl.port,
  protocol: stripeUrl.protocol === 'https:' ? 'https' : 'http',
  maxNetworkRetries: 2,
  telemetry: false,
});

const SCHEMA = `
  CREATE TABLE IF NOT EXISTS reference_idempotency_keys (
    tenant_id uuid NOT NULL, user_id varchar(128) NOT NULL, key uuid NOT NULL,
    request_hash char(64) NOT NULL, status varchar(16) NOT NULL, response jsonb,
    created_at timestamptz NOT NULL DEFAULT now(), updated_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, user_id, key));
  CREATE TABLE IF NOT EXISTS reference_payments (
    id uuid PRIMARY KEY, tenant_id uuid NOT NULL, user_id varchar(128) NOT NULL, idempotency_key uuid NOT NULL,
    status varchar(32) NOT NULL, amount integer NOT NULL CHECK (amount > 0), currency char(3) NOT NULL,
    payment_method_id varchar(255) NOT NULL, stripe_payment_intent_id varchar(255) UNIQUE,
    stripe_first_attempt_at timestamptz, created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(), UNIQUE (tenant_id, user_id, idempotency_key));`;

// Recovery point 1: no payment row unless this request won the key, both in one commit.
const CLAIM_AND_INSERT = {
  name: 'reference-claim',
  text: `WITH claim AS (
      INSERT INTO reference_idempotency_keys (tenant_id, user_id, key, request_hash, status)
      VALUES ($1, $2, $3, $4, 'started') ON CONFLICT DO NOTHING RETURNING key)
    INSERT INTO reference_payments (id, tenant_id, user_id, idempotency_key, status, amount, currency,
      payment_method_id, stripe_first_attempt_at)
    SELECT $5, $1, $2, key, 'processing', $6, $7, $8, now() FROM claim
    RETURNING created_at`,
};

// The payment and the key's stored response become visible together.
const COMPLETE = {
  name: 'reference-complete',
  text: `WITH payment AS (
      UPDATE reference_payments SET status = $4, stripe_payment_intent_id = $5, updated_at = $6 WHERE id = $7)
    UPDATE reference_idempotency_keys SET status = 'completed', response = $8, updated_at = $6
    WHERE tenant_id = $1 AND user_id = $2 AND key = $3`,
};

interface PaymentRequest {
  amount: number;
  currency: string;
  paymentMethodId: string;
}

function parsePaymentRequest(raw: string): PaymentRequest | undefined {
  const body = JSON.parse(raw) as Partial<PaymentRequest>;
  const valid =
    Number.isInteger(body.amount) &&
    typeof body.currency === 'string' &&
    typeof body.paymentMethodId === 'string';
  return valid ? (body as PaymentRequest) : undefined;
}

async function processPayment(key: string, raw: string): Promise<[number, object]> {
  const request = parsePaymentRequest(raw);
  if (!request) return [400, { code: 'VALIDATION_FAILED' }];
  const lock = `${prefix}lock:${key}`;
  if ((await redis.set(lock, '1', 'PX', LOCK_TTL_MS, 'NX')) !== 'OK')
    return [409, { code: 'DUPLICATE_IN_PROGRESS' }];

  const scope = [TENANT_ID, USER_ID, key];
  const id = randomUUID();
  const requestHash = createHash('sha256').update(raw).digest('hex');
  const claimed = await pool.query<{ created_at: Date }>({
    ...CLAIM_AND_INSERT,
    values: [...scope, requestHash, id, request.amount, request.currency, request.paymentMethodId],
  });
  if (claimed.rowCount === 0) return [409, { code: 'IDEMPOTENCY_KEY_TAKEN' }];

  const intent = await stripe.paymentIntents.create(
    {
      amount: request.amount,
      currency: request.currency,
      payment_method: request.paymentMethodId,
      confirm: true,
      metadata: { payment_id: id },
      automatic_payment_methods: { enabled: true, allow_redirects: 'never' },
    },
    { idempotencyKey: `reference-${key}` },
  );
  const updatedAt = new Date();
  const payment = {
    id,
    tenantId: TENANT_ID,
    kind: 'payment',
    status: intent.status,
    amount: request.amount,
    amountRefunded: 0,
    currency: request.currency,
    stripePaymentIntentId: intent.id,
    createdAt: claimed.rows[0].created_at.toISOString(),
    updatedAt: updatedAt.toISOString(),
  };
  const response = JSON.stringify(payment);
  await pool.query({ ...COMPLETE, values: [...scope, intent.status, intent.id, updatedAt, id, response] });
  await redis.pipeline().set(`${prefix}response:${key}`, response, 'PX', RESPONSE_TTL_MS).del(lock).exec();
  return [201, payment];
}

function readBody(request: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    request.on('error', reject);
  });
}

async function handle(request: IncomingMessage): Promise<[number, object]> {
  if (request.method === 'GET' && request.url === '/health') return [200, { status: 'ok' }];
  if (request.method !== 'POST' || request.url !== '/payments/process')
    return [404, { code: 'ROUTE_NOT_FOUND' }];
  const key = request.headers['idempotency-key'];
  if (typeof key !== 'string') return [400, { code: 'IDEMPOTENCY_KEY_REQUIRED' }];
  return processPayment(key, await readBody(request));
}

function answer(response: ServerResponse, [status, body]: [number, object]): void {
  response.writeHead(status, { 'content-type': 'application/json; charset=utf-8' }).end(JSON.stringify(body));
}

async function main(): Promise<void> {
  await pool.query(SCHEMA);
  const server = createServer((request, response) => {
    handle(request).then(
      (result) => answer(response, result),
      (error: unknown) => {
        process.stderr.write(`reference-server: ${String(error)}\n`);
        answer(response, [500, { code: 'INTERNAL_ERROR' }]);
      },
    );
  });
  server.listen(Number(env('PORT')), '127.0.0.1');
  process.once('SIGTERM', () => {
    server.close();
    void Promise.all([pool.end(), redis.quit()]).finally(() => process.exit(0));
  });
}

void main().catch((error: unknown) => {
  process.stderr.write(`reference-server failed to start: ${String(error)}\n`);
  process.exit(1);
});
