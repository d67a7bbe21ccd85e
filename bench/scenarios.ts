import { randomUUID } from 'node:crypto';
import Stripe from 'stripe';
import { BENCH_WEBHOOK_SECRET } from './bench-protocol';

/** What the load generator sends: one client, three scenarios over the two bench routes, one webhook scenario. */

export const TENANT_ID = randomUUID();
export const USER_ID = 'bench-user';
export const AMOUNT = 1234;
export const BODY = JSON.stringify({ amount: AMOUNT });
export const REPLAYED_HEADER = 'idempotent-replayed';
export const WEBHOOK_PATH = '/webhooks/stripe';
export const WEBHOOK_RECEIPT = JSON.stringify({ received: true });

export type IdempotencyScenario = 'bare' | 'new key' | 'replay';
export type ScenarioName = IdempotencyScenario | 'webhook';
export const SCENARIOS: readonly IdempotencyScenario[] = ['bare', 'new key', 'replay'];

export interface Context {
  port: number;
  authorization: string;
  replayKey: string;
  /** The exact body of the replay key's one execution: every replay must send it back. */
  replayBody: string;
  /** Every Idempotency-Key sent, so their Redis entries can be removed at the end. */
  issuedKeys: string[];
  /** Every event answered 200 `{"received":true}` under load: each must be a row afterwards. */
  acknowledgedEvents: string[];
}

export function routeOf(scenario: IdempotencyScenario): string {
  return scenario === 'bare' ? '/bench/bare' : '/bench/idempotent';
}

export interface SignedEvent {
  id: string;
  payload: string;
  signature: string;
}

/** A new event (id never sent before), signed as Stripe signs, with the secret the server trusts. */
export function signedEvent(): SignedEvent {
  const id = `evt_bench_${randomUUID().replaceAll('-', '')}`;
  const created = Math.floor(Date.now() / 1000);
  const payload = JSON.stringify({
    id,
    object: 'event',
    created,
    livemode: false,
    pending_webhooks: 1,
    request: { id: null, idempotency_key: null },
    type: 'payment_intent.succeeded',
    data: {
      object: {
        id: `pi_bench_${id.slice(10, 34)}`,
        object: 'payment_intent',
        amount: AMOUNT,
        amount_received: AMOUNT,
        currency: 'eur',
        status: 'succeeded',
        created,
        livemode: false,
        metadata: { tenant_id: TENANT_ID },
      },
    },
  });
  const signature = Stripe.webhooks.generateTestHeaderString({
    payload,
    secret: BENCH_WEBHOOK_SECRET,
    timestamp: created,
  });
  return { id, payload, signature };
}
