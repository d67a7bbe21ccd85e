import { EVENT_TYPES, subscribes } from './event-types';

describe('subscribes', () => {
  it('matches an exact type, every event of a kind, or everything', () => {
    expect(subscribes(['payment.succeeded'], 'payment.succeeded')).toBe(true);
    expect(subscribes(['payment.succeeded'], 'payment.failed')).toBe(false);
    expect(subscribes(['payment.*'], 'payment.refunded')).toBe(true);
    expect(subscribes(['payment.*'], 'refund.failed')).toBe(false);
    expect(subscribes(['refund.*', 'payment.failed'], 'refund.failed')).toBe(true);
    expect(subscribes(['*'], 'webhook_endpoint.disabled')).toBe(true);
    expect(subscribes(['payment.*', 'refund.*'], 'webhook_endpoint.disabled')).toBe(false);
  });

  it('knows every status a payment or refund moves to, and the disabled endpoint', () => {
    expect(EVENT_TYPES).toContain('payment.partially_refunded');
    expect(EVENT_TYPES).toContain('refund.requires_action');
    expect(EVENT_TYPES).toContain('webhook_endpoint.disabled');
  });
});
