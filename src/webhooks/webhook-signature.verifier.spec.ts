import Stripe from 'stripe';
import { AppConfig, loadAppConfig } from '../config/app-config';
import { WebhookErrorCode } from './webhook.exception';
import { WebhookSignatureVerifier } from './webhook-signature.verifier';

const config = (secrets: string): AppConfig =>
  loadAppConfig({
    NODE_ENV: 'test',
    JWT_SECRET: 'unit-test-secret-0123456789',
    STRIPE_WEBHOOK_SECRET: secrets,
  });

const payload = JSON.stringify({
  id: 'evt_1',
  object: 'event',
  type: 'payment_intent.succeeded',
  data: { object: {} },
});
const sign = (secret: string, timestamp = Math.floor(Date.now() / 1000)) =>
  Stripe.webhooks.generateTestHeaderString({ payload, secret, timestamp });

describe(WebhookSignatureVerifier.name, () => {
  const verifier = new WebhookSignatureVerifier(config('whsec_old,whsec_new'));
  const body = Buffer.from(payload);

  it('accepts a signature by any configured secret', () => {
    expect(verifier.verify(body, sign('whsec_old'))).toMatchObject({
      id: 'evt_1',
      type: 'payment_intent.succeeded',
    });
    expect(verifier.verify(body, sign('whsec_new')).id).toBe('evt_1');
  });

  it.each([
    ['no header', undefined],
    ['an empty header', ''],
    ['a repeated header', [sign('whsec_new'), sign('whsec_new')]],
    ['another secret', sign('whsec_other')],
    ['a timestamp past the tolerance', sign('whsec_new', Math.floor(Date.now() / 1000) - 310)],
    ['a timestamp ahead of the tolerance', sign('whsec_new', Math.floor(Date.now() / 1000) + 310)],
  ])('refuses %s', (_case, header) => {
    expect(() => verifier.verify(body, header)).toThrow(
      expect.objectContaining({ code: WebhookErrorCode.WEBHOOK_SIGNATURE_INVALID, status: 400 }),
    );
  });

  it('refuses a future signature behind a current t= (the SDK signs with the last t=)', () => {
    const now = Math.floor(Date.now() / 1000);
    const future = sign('whsec_new', now + 3600);
    expect(() => verifier.verify(body, `t=${now},${future}`)).toThrow(
      expect.objectContaining({ code: WebhookErrorCode.WEBHOOK_SIGNATURE_INVALID }),
    );
    // Either order: a second t= is never read past.
    expect(() => verifier.verify(body, `${sign('whsec_new', now)},t=${now}`)).toThrow(
      expect.objectContaining({ message: 'Stripe-Signature carries more than one timestamp' }),
    );
  });

  it('accepts a timestamp exactly at the tolerance ahead, and refuses one second more', () => {
    const now = 2_000_000_000;
    expect(verifier.verify(body, sign('whsec_new', now + 300), now).id).toBe('evt_1');
    expect(() => verifier.verify(body, sign('whsec_new', now + 301), now)).toThrow(
      expect.objectContaining({ code: WebhookErrorCode.WEBHOOK_SIGNATURE_INVALID }),
    );
  });

  it.each([
    ['an empty id', { id: '', type: 'payment_intent.succeeded' }],
    ['an id longer than the inbox holds', { id: `evt_${'x'.repeat(252)}`, type: 'payment_intent.succeeded' }],
    ['a type longer than the inbox holds', { id: 'evt_1', type: 'x'.repeat(256) }],
    ['a numeric id', { id: 1, type: 'payment_intent.succeeded' }],
    ['a NUL in the id', { id: 'evt_\u0000', type: 'payment_intent.succeeded' }],
    ['an unpaired surrogate in the type', { id: 'evt_1', type: 'payment_intent.\ud800' }],
  ])('refuses a signed body with %s as not a Stripe event (400, not a failed insert)', (_case, fields) => {
    const signed = JSON.stringify({ object: 'event', data: { object: {} }, ...fields });
    const header = Stripe.webhooks.generateTestHeaderString({ payload: signed, secret: 'whsec_new' });
    expect(() => verifier.verify(Buffer.from(signed), header)).toThrow(
      expect.objectContaining({
        code: WebhookErrorCode.WEBHOOK_SIGNATURE_INVALID,
        message: 'Not a Stripe event',
      }),
    );
  });

  it('accepts an id of exactly 255 characters', () => {
    const signed = JSON.stringify({ id: `evt_${'x'.repeat(251)}`, type: 'payment_intent.succeeded' });
    const header = Stripe.webhooks.generateTestHeaderString({ payload: signed, secret: 'whsec_new' });
    expect(verifier.verify(Buffer.from(signed), header).id).toHaveLength(255);
  });

  it('refuses a missing raw body', () => {
    expect(() => verifier.verify(undefined, sign('whsec_new'))).toThrow(
      expect.objectContaining({ code: WebhookErrorCode.WEBHOOK_SIGNATURE_INVALID }),
    );
  });
});
