import { randomUUID } from 'node:crypto';
import Stripe from 'stripe';
import request from 'supertest';
import { checkedAgainstContract } from './contract/checked';
import type { TestApp } from './test-app';

export const WEBHOOK_SECRET = 'whsec_e2e';

export interface SignOptions {
  secret?: string;
  /** Seconds since the epoch; now unless given. */
  timestamp?: number;
}

/** A `Stripe-Signature` header exactly as Stripe computes it (the SDK's own helper). */
export function signatureFor(payload: string, options: SignOptions = {}): string {
  return Stripe.webhooks.generateTestHeaderString({
    payload,
    secret: options.secret ?? WEBHOOK_SECRET,
    timestamp: options.timestamp ?? Math.floor(Date.now() / 1000),
  });
}

export interface TestEvent {
  id: string;
  object: 'event';
  type: string;
  created: number;
  livemode: false;
  data: { object: Record<string, unknown> };
}

export function stripeEvent(
  type: string,
  object: Record<string, unknown>,
  created = nowSeconds(),
): TestEvent {
  return {
    id: `evt_${randomUUID().replaceAll('-', '')}`,
    object: 'event',
    type,
    created,
    livemode: false,
    data: { object },
  };
}

const INTENT_STATUS_OF_EVENT: Record<string, string> = {
  'payment_intent.succeeded': 'succeeded',
  'payment_intent.payment_failed': 'requires_payment_method',
  'payment_intent.canceled': 'canceled',
  'payment_intent.processing': 'processing',
  'payment_intent.requires_action': 'requires_action',
};

export function intentEvent(
  type: string,
  intent: { id: string; paymentId?: string },
  created?: number,
): TestEvent {
  return stripeEvent(
    type,
    {
      id: intent.id,
      object: 'payment_intent',
      status: INTENT_STATUS_OF_EVENT[type] ?? 'processing',
      metadata: intent.paymentId ? { ps_payment_id: intent.paymentId } : {},
      last_payment_error:
        type === 'payment_intent.payment_failed'
          ? { type: 'card_error', decline_code: 'generic_decline' }
          : null,
    },
    created,
  );
}

/** Posts an event to the service as Stripe would: the exact bytes that were signed. */
export function deliver(app: Pick<TestApp, 'http'>, event: object, options: SignOptions = {}) {
  const payload = JSON.stringify(event);
  return checkedAgainstContract(
    request(app.http)
      .post('/webhooks/stripe')
      .set('Content-Type', 'application/json')
      .set('Stripe-Signature', signatureFor(payload, options))
      .send(payload),
    'post',
    '/webhooks/stripe',
  );
}

export function nowSeconds(): number {
  return Math.floor(Date.now() / 1000);
}

/** Polls `probe` until it answers true (every 50 ms), failing after `timeoutMs`. */
export async function waitFor(what: string, probe: () => Promise<boolean>, timeoutMs = 15000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await probe())) {
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
