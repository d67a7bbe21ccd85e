import { EmulatorStore } from './emulator-store';
import { REFUND_STATUSES } from './refund-vocabulary';
import type { Refund, RefundStatus } from './stripe-emulator.types';

const ALLOWED_MOVES: readonly [RefundStatus, RefundStatus][] = [
  ['requires_action', 'pending'],
  ['requires_action', 'succeeded'],
  ['requires_action', 'failed'],
  ['requires_action', 'canceled'],
  ['pending', 'succeeded'],
  ['pending', 'failed'],
  ['pending', 'canceled'],
  ['succeeded', 'failed'],
];

const isAllowed = (from: RefundStatus, to: RefundStatus): boolean =>
  ALLOWED_MOVES.some(([allowedFrom, allowedTo]) => allowedFrom === from && allowedTo === to);

const EVERY_MOVE = REFUND_STATUSES.flatMap((from) =>
  REFUND_STATUSES.map((to) => [from, to, isAllowed(from, to)] as const),
);

describe(`${EmulatorStore.name} refunds`, () => {
  let store: EmulatorStore;
  let paymentIntent: string;
  let charge: string;

  beforeEach(() => {
    store = new EmulatorStore('2020-01-01');
    const paid = store.createPaymentIntent({
      amount: 5000,
      currency: 'usd',
      paymentMethod: 'pm_card_visa',
      confirm: true,
      customer: null,
      description: null,
      metadata: {},
      automaticPaymentMethods: null,
      captureMethod: 'automatic',
    });
    paymentIntent = paid.id;
    charge = paid.latest_charge ?? '';
    store.drainOutbox({ id: null, idempotency_key: null });
  });

  const refund = (amount: number, status?: 'succeeded' | 'pending' | 'requires_action'): Refund =>
    store.createRefund({ paymentIntent, charge: null, amount, reason: null, metadata: {}, status });

  /** A refund of 1000 brought to `status` through allowed moves. */
  const refundIn = (status: RefundStatus): Refund => {
    if (status === 'failed' || status === 'canceled') {
      return store.updateRefundStatus(refund(1000, 'pending').id, status);
    }
    return refund(1000, status);
  };

  const drainedTypes = (): string[] =>
    store.drainOutbox({ id: null, idempotency_key: null }).map((event) => event.type);

  it.each(EVERY_MOVE)('%s → %s allowed: %s', (from, to, allowed) => {
    const { id } = refundIn(from);
    drainedTypes();
    if (allowed) {
      expect(store.updateRefundStatus(id, to).status).toBe(to);
      expect(drainedTypes()).toEqual(
        to === 'failed'
          ? ['charge.refund.updated', 'refund.updated', 'refund.failed']
          : ['charge.refund.updated', 'refund.updated'],
      );
    } else {
      expect(() => store.updateRefundStatus(id, to)).toThrow(`it cannot become ${to}`);
      expect(store.retrieveRefund(id).status).toBe(from);
      expect(drainedTypes()).toEqual([]);
    }
  });

  it('counts pending, requires_action and succeeded refunds in amount_refunded, not failed or canceled ones', () => {
    refundIn('pending');
    refundIn('requires_action');
    refundIn('succeeded');
    refundIn('failed');
    refundIn('canceled');
    expect(store.retrieveCharge(charge)).toMatchObject({ amount_refunded: 3000, refunded: false });
    refund(2000);
    expect(store.retrieveCharge(charge)).toMatchObject({ amount_refunded: 5000, refunded: true });
  });

  it('gives a failed refund its amount back, so it can be refunded again', () => {
    const full = refund(5000);
    expect(() => refund(1)).toThrow('has already been refunded');
    const failed = store.updateRefundStatus(full.id, 'failed', 'expired_or_canceled_card');
    expect(failed).toMatchObject({ status: 'failed', failure_reason: 'expired_or_canceled_card' });
    expect(store.retrieveCharge(charge)).toMatchObject({ amount_refunded: 0, refunded: false });
    expect(() => refund(5001)).toThrow('greater than unrefunded amount on charge (5000)');
    expect(refund(5000).status).toBe('succeeded');
  });

  it('sets failure_reason only on failure, declined by default', () => {
    expect(store.updateRefundStatus(refundIn('pending').id, 'failed').failure_reason).toBe('declined');
    const pending = refundIn('pending');
    expect(() => store.updateRefundStatus(pending.id, 'succeeded', 'declined')).toThrow(
      'failure_reason applies only to a failed refund',
    );
    expect(store.updateRefundStatus(pending.id, 'succeeded').failure_reason).toBeNull();
  });

  it('creates refunds in the standing initial status until reset, unless told otherwise', () => {
    expect(refund(100).status).toBe('succeeded');
    store.setRefundInitialStatus('requires_action');
    expect(refund(100).status).toBe('requires_action');
    expect(refund(100, 'pending').status).toBe('pending');
    expect(refund(100).status).toBe('requires_action');
    store.reset();
    expect(store.getRefundInitialStatus()).toBe('succeeded');
  });

  it('refuses to move an unknown refund', () => {
    expect(() => store.updateRefundStatus('re_missing', 'failed')).toThrow("No such refund: 're_missing'");
  });
});
