import type Stripe from 'stripe';
import { canTransition, paymentStatusOf, refundedStatus, transitionOf } from './payment-status.util';

const intent = (overrides: Partial<Stripe.PaymentIntent>) =>
  ({ id: 'pi_1', status: 'succeeded', last_payment_error: null, ...overrides }) as Stripe.PaymentIntent;

describe('payment status', () => {
  it.each([
    ['succeeded', 'succeeded'],
    ['processing', 'processing'],
    ['requires_capture', 'processing'],
    ['requires_action', 'requires_action'],
    ['canceled', 'canceled'],
    ['requires_confirmation', 'requires_payment_method'],
    ['requires_payment_method', 'requires_payment_method'],
  ] as const)('maps a %s PaymentIntent to %s', (stripeStatus, status) => {
    expect(paymentStatusOf(intent({ status: stripeStatus }))).toBe(status);
  });

  it('maps a PaymentIntent sent back after a decline to failed', () => {
    const declined = intent({
      status: 'requires_payment_method',
      last_payment_error: { type: 'card_error' },
    });
    expect(paymentStatusOf(declined)).toBe('failed');
  });

  it('never undoes success with a late processing or failure', () => {
    expect(canTransition('succeeded', 'processing')).toBe(false);
    expect(canTransition('succeeded', 'failed')).toBe(false);
    expect(canTransition('refunded', 'succeeded')).toBe(false);
  });

  it('moves forward', () => {
    expect(canTransition('processing', 'succeeded')).toBe(true);
    expect(canTransition('requires_action', 'processing')).toBe(true);
    expect(canTransition('succeeded', 'partially_refunded')).toBe(true);
    expect(canTransition('failed', 'succeeded')).toBe(true);
    expect(canTransition('canceled', 'succeeded')).toBe(false);
  });

  it('lets a failed PaymentIntent be tried again only as a retry, and keeps canceled and refunded final', () => {
    expect(transitionOf('failed', 'processing')).toBe('retry');
    expect(transitionOf('failed', 'requires_action')).toBe('retry');
    expect(transitionOf('processing', 'failed')).toBe('forward');
    expect(canTransition('processing', 'requires_action')).toBe(false);
    expect(canTransition('partially_refunded', 'succeeded')).toBe(false);
    for (const to of ['succeeded', 'failed', 'processing', 'partially_refunded'] as const) {
      expect(canTransition('canceled', to)).toBe(false);
      expect(canTransition('refunded', to)).toBe(false);
    }
  });

  it('derives the refund status from the amounts', () => {
    expect(refundedStatus(1000, 0)).toBe('succeeded');
    expect(refundedStatus(1000, 300)).toBe('partially_refunded');
    expect(refundedStatus(1000, 1000)).toBe('refunded');
  });
});
