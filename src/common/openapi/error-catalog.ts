import { HttpStatus } from '@nestjs/common';
import { AUTH_ERROR_STATUS, AuthErrorCode } from '../../auth/auth-error-code';
import { CUSTOMER_ERROR_STATUS, CustomerErrorCode } from '../../customers/customer-error-code';
import { IDEMPOTENCY_ERROR_STATUS, IdempotencyErrorCode } from '../../idempotency/idempotency-error-code';
import { PAYMENT_ERROR_STATUS, PaymentErrorCode } from '../../payments/payment-error-code';
import { REFUND_ERROR_STATUS, RefundErrorCode } from '../../refunds/refund-error-code';
import { STRIPE_ERROR_STATUS, StripeErrorCode } from '../../stripe/stripe-error-code';
import { WEBHOOK_ERROR_STATUS, WebhookErrorCode } from '../../webhooks/webhook-error-code';
import { COMMON_ERROR_STATUS, CommonErrorCode } from '../errors/common-error-code';

/** Every code the service answers with; `@ApiErrors()` accepts nothing else. */
export type ErrorCode =
  | CommonErrorCode
  | AuthErrorCode
  | CustomerErrorCode
  | IdempotencyErrorCode
  | PaymentErrorCode
  | RefundErrorCode
  | StripeErrorCode
  | WebhookErrorCode;

/**
 * The modules' own code → status maps, the ones their exceptions are built from
 * (`moduleException`), so the documented status is the one the service sends.
 */
const STATUS_MAPS: ReadonlyArray<Readonly<Record<string, HttpStatus>>> = [
  COMMON_ERROR_STATUS,
  AUTH_ERROR_STATUS,
  CUSTOMER_ERROR_STATUS,
  IDEMPOTENCY_ERROR_STATUS,
  PAYMENT_ERROR_STATUS,
  REFUND_ERROR_STATUS,
  STRIPE_ERROR_STATUS,
  WEBHOOK_ERROR_STATUS,
];

const STATUS_BY_CODE = mergeStatusMaps(STATUS_MAPS);

export function errorStatusOf(code: ErrorCode): HttpStatus {
  const status = STATUS_BY_CODE.get(code);
  if (status === undefined) throw new Error(`Error code ${code} is in no module's status map`);
  return status;
}

/**
 * One code may be declared by two modules, but a client
 * branching on it must always meet the same status: a disagreement fails at load time.
 */
export function mergeStatusMaps(
  maps: ReadonlyArray<Readonly<Record<string, HttpStatus>>>,
): ReadonlyMap<string, HttpStatus> {
  const merged = new Map<string, HttpStatus>();
  for (const map of maps) {
    for (const [code, status] of Object.entries(map)) {
      const known = merged.get(code);
      if (known !== undefined && known !== status) {
        throw new Error(`Error code ${code} maps to both ${known} and ${status}`);
      }
      merged.set(code, status);
    }
  }
  return merged;
}
