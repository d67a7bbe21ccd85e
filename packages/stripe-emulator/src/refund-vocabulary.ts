import type {
  RefundFailureReason,
  RefundInitialStatus,
  RefundReason,
  RefundStatus,
} from './stripe-emulator.types';

/** Stripe's refund values, for checking what arrives over the API and the control API. */
export const REFUND_REASONS: readonly RefundReason[] = ['duplicate', 'fraudulent', 'requested_by_customer'];

export const REFUND_STATUSES: readonly RefundStatus[] = [
  'pending',
  'requires_action',
  'succeeded',
  'failed',
  'canceled',
];

export const REFUND_INITIAL_STATUSES: readonly RefundInitialStatus[] = [
  'succeeded',
  'pending',
  'requires_action',
];

export const REFUND_FAILURE_REASONS: readonly RefundFailureReason[] = [
  'lost_or_stolen_card',
  'expired_or_canceled_card',
  'charge_for_pending_refund_disputed',
  'insufficient_funds',
  'declined',
  'merchant_request',
  'unknown',
];
