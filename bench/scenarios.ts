import { randomUUID } from 'node:crypto';
import Stripe from 'stripe';
import { BENCH_WEBHOOK_SECRET } from './bench-protocol';

/** What the load generator sends: the routes measured, their requests and what the run remembers. */

export const TENANT_ID = randomUUID();
/** A second tenant, with one webhook endpoint subscribed to every event. */
export const SUBSCRIBED_TENANT_ID = randomUUID();
export const USER_ID = 'bench-user';
export const AMOUNT = 1234;
export const PAYMENT_BODY = JSON.stringify({
  amount: AMOUNT,
  currency: 'eur',
  paymentMethodId: 'pm_card_visa',
});
export const PAYMENT_PATH = '/payments/process';
export const HEALTH_PATH = '/health';
export const REPLAYED_HEADER = 'idempotent-replayed';
export const WEBHOOK_PATH = '/webhooks/stripe';
export const WEBHOOK_RECEIPT = JSON.stringify({ received: true });
export const ENDPOINTS_PATH = '/webhook-endpoints';
/** Never called: the measured service runs no deliveries (WORKER_MODE=api). */
export const ENDPOINT_URL = 'https://127.0.0.1:9/bench-hooks';

/**
 * The routes measured, in the order they run; `reference` is the framework-free server's. Each
 * pair a target compares runs close together, so drift in the machine's load or in the size of
 * the tables and the emulator's store weighs on both sides alike.
 */
export const ROUTES = [
  'health',
  'replay',
  'webhook',
  'new payment',
  'subscribed payment',
  'reference',
] as const;
export type RouteName = (typeof ROUTES)[number];

/** Which process answers the route: its port, and whose CPU is counted. */
export type Target = 'service' | 'reference';

export function targetOf(route: RouteName): Target {
  return route === 'reference' ? 'reference' : 'service';
}

export interface Context {
  ports: Record<Target, number>;
  authorization: string;
  /** The subscribed tenant's user. */
  subscribedAuthorization: string;
  replayKey: string;
  /** The exact body of the replay key's one execution: every replay must send it back. */
  replayBody: string;
  /** Every Idempotency-Key sent to the service, so their Redis entries can be removed at the end. */
  issuedKeys: string[];
  /** Every event answered 200 `{"received":true}` under load: each must be a row afterwards. */
  acknowledgedEvents: string[];
}

export interface SignedEvent {
  id: string;
  payload: string;
  signature: string;
}

/** A new event (id never sent before), signed as Stripe signs, with the secret the service trusts. */
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
