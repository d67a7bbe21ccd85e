/**
 * `npm run demo`: a guided tour of the service against a running sandbox (`npm start`), printing
 * every request and answer. DEMO_URL picks another service (default http://127.0.0.1:3000).
 * Tokens are minted with the public development secret, so this only works against a service
 * started without JWT_SECRET (development mode).
 */
import { createHmac, randomUUID } from 'node:crypto';
import { DemoReceiver } from './demo-receiver';

const BASE_URL = (process.env.DEMO_URL ?? 'http://127.0.0.1:3000').replace(/\/$/, '');
const DEVELOPMENT_JWT_SECRET = 'development-only-jwt-secret-do-not-deploy';
const SETTLE_TIMEOUT_MS = 30000;
/** A delivery comes within a second or two of the change; past this the demo stops and says why. */
const DELIVERY_TIMEOUT_MS = 10000;

interface Answer {
  status: number;
  headers: Headers;
  body: Record<string, unknown>;
}

/** HS256 with the claims the service requires: sub, tenant_id, exp. */
function mintToken(claims: { sub: string; tenant_id: string }): string {
  const encode = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
  const unsigned = `${encode({ alg: 'HS256', typ: 'JWT' })}.${encode({
    ...claims,
    exp: Math.floor(Date.now() / 1000) + 3600,
  })}`;
  const signature = createHmac('sha256', DEVELOPMENT_JWT_SECRET).update(unsigned).digest('base64url');
  return `${unsigned}.${signature}`;
}

const tenantId = randomUUID();
const token = mintToken({ sub: 'demo-user', tenant_id: tenantId });

function print(text = ''): void {
  process.stdout.write(`${text}\n`);
}

async function call(
  method: 'GET' | 'POST',
  path: string,
  options: { body?: object; idempotencyKey?: string; quiet?: boolean } = {},
): Promise<Answer> {
  const headers: Record<string, string> = { Authorization: `Bearer ${token}` };
  if (options.body) headers['Content-Type'] = 'application/json';
  if (options.idempotencyKey) headers['Idempotency-Key'] = options.idempotencyKey;
  const response = await fetch(`${BASE_URL}${path}`, {
    method,
    headers,
    body: options.body ? JSON.stringify(options.body) : undefined,
  });
  const text = await response.text();
  const body = (text ? JSON.parse(text) : {}) as Record<string, unknown>;
  if (!options.quiet) {
    print(
      `  → ${method} ${path}${options.idempotencyKey ? `   Idempotency-Key: ${options.idempotencyKey}` : ''}`,
    );
    if (options.body) print(`    ${JSON.stringify(options.body)}`);
    const replayed = response.headers.get('idempotent-replayed');
    print(`  ← ${response.status}${replayed ? `   Idempotent-Replayed: ${replayed}` : ''}`);
    print(indent(JSON.stringify(body, null, 2)));
  }
  return { status: response.status, headers: response.headers, body };
}

function indent(text: string): string {
  return text
    .split('\n')
    .map((line) => `    ${line}`)
    .join('\n');
}

function step(title: string, why: string): void {
  print();
  print(`== ${title}`);
  print(`   ${why}`);
}

function expectStatus(answer: Answer, ...expected: number[]): void {
  if (!expected.includes(answer.status)) {
    throw new Error(`expected HTTP ${expected.join(' or ')}, got ${answer.status}`);
  }
}

async function main(): Promise<void> {
  print(`payment-service demo against ${BASE_URL} (tenant ${tenantId})`);
  const health = await fetch(`${BASE_URL}/health`).catch(() => undefined);
  if (!health?.ok) throw new Error(`no service answers at ${BASE_URL}/health: start it with \`npm start\``);

  step(
    '0. Your own webhook endpoint',
    'A receiver on this machine, registered to get every event of this tenant, signed (Standard Webhooks). The secret is shown only now.',
  );
  const receiver = await DemoReceiver.start();
  try {
    const endpoint = await call('POST', '/webhook-endpoints', {
      body: { url: receiver.url, enabledEvents: ['*'], description: 'demo receiver' },
      idempotencyKey: randomUUID(),
    });
    expectStatus(endpoint, 201);
    receiver.secret = String(endpoint.body.secret);
    await tour();
    await showDeliveries(receiver);
  } finally {
    receiver.close();
  }

  print();
  print('Done. Explore the rest at /docs.');
}

async function tour(): Promise<void> {
  const key = randomUUID();
  const payment = {
    amount: 2500,
    currency: 'usd',
    paymentMethodId: 'pm_card_visa',
    description: 'demo order',
  };

  step(
    '1. A payment',
    'POST with an Idempotency-Key: the card is charged through Stripe (the sandbox emulator).',
  );
  const first = await call('POST', '/payments/process', { body: payment, idempotencyKey: key });
  expectStatus(first, 201);

  step(
    '2. Its replay',
    'The same key and body again (a client retrying after a timeout): the stored answer, no second charge.',
  );
  const replay = await call('POST', '/payments/process', { body: payment, idempotencyKey: key });
  expectStatus(replay, 201);

  step('3. A mismatch', 'The same key with a different body is a client bug: 422, nothing executed.');
  expectStatus(
    await call('POST', '/payments/process', { body: { ...payment, amount: 9900 }, idempotencyKey: key }),
    422,
  );

  step(
    '4. A concurrent duplicate',
    'Two requests with one new key at the same moment: one charges; the other waits its turn (409 while the first runs, or the replay).',
  );
  const raceKey = randomUUID();
  const racers = await Promise.all([
    call('POST', '/payments/process', { body: { ...payment, amount: 1200 }, idempotencyKey: raceKey }),
    call('POST', '/payments/process', { body: { ...payment, amount: 1200 }, idempotencyKey: raceKey }),
  ]);
  for (const racer of racers) expectStatus(racer, 201, 409);
  const ids = new Set(racers.filter((racer) => racer.status === 201).map((racer) => racer.body.id));
  print(`   → ${ids.size} payment created for 2 requests`);

  step('5. A refund', 'Part of the first payment back, under its own Idempotency-Key.');
  const refund = await call('POST', '/refunds', {
    body: { paymentId: first.body.id, amount: 1000, reason: 'requested_by_customer' },
    idempotencyKey: randomUUID(),
  });
  expectStatus(refund, 201);
  await call('GET', `/payments/${String(first.body.id)}`);

  step(
    '6. A webhook-driven status change',
    'pm_card_processing stays `processing` at Stripe until the bank settles it; the sandbox bank settles after a few seconds and Stripe (the emulator) sends payment_intent.succeeded to POST /webhooks/stripe.',
  );
  const slow = await call('POST', '/payments/process', {
    body: { ...payment, amount: 4000, paymentMethodId: 'pm_card_processing' },
    idempotencyKey: randomUUID(),
  });
  expectStatus(slow, 201);
  const deadline = Date.now() + SETTLE_TIMEOUT_MS;
  let status = String(slow.body.status);
  while (status === 'processing' && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 1000));
    status = String((await call('GET', `/payments/${String(slow.body.id)}`, { quiet: true })).body.status);
    process.stdout.write(`   … status ${status}\n`);
  }
  await call('GET', `/payments/${String(slow.body.id)}`);
  if (status === 'processing') throw new Error('the payment did not settle: is the service in sandbox mode?');
}

async function showDeliveries(receiver: DemoReceiver): Promise<void> {
  step(
    '7. Webhooks to your endpoint',
    'Every change above is an event, delivered to the receiver and verified there with the standardwebhooks library (webhook-id, webhook-timestamp, webhook-signature).',
  );
  if (!(await receiver.waitForDelivery(DELIVERY_TIMEOUT_MS))) {
    throw new Error(
      `no webhook reached the receiver within ${DELIVERY_TIMEOUT_MS / 1000} s: this service records no payment or refund events yet, or runs no worker (WORKER_MODE=api)`,
    );
  }
  const [first] = receiver.deliveries;
  print('  ← POST /webhooks (received by the demo receiver)');
  for (const name of ['webhook-id', 'webhook-timestamp', 'webhook-signature', 'content-type']) {
    print(`    ${name}: ${String(first.headers[name])}`);
  }
  print(indent(JSON.stringify(JSON.parse(first.body), null, 2)));
  for (const delivery of receiver.deliveries) {
    const verdict = delivery.event ? 'signature verified' : `NOT verified: ${delivery.error}`;
    print(
      `   → ${String(delivery.headers['webhook-id'])} ${String((JSON.parse(delivery.body) as { type?: string }).type)}: ${verdict}`,
    );
  }
  if (receiver.deliveries.some((delivery) => !delivery.event)) throw new Error('a delivery did not verify');
  await call('GET', '/events?limit=5');
}

main().catch((error: unknown) => {
  process.stderr.write(`demo failed: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
