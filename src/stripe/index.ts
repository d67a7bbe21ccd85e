export { StripeAttempts } from './stripe-attempts';
export { PAYMENT_FAILURE_CODES, StripeErrorCode, StripeException } from './stripe.exception';
export type { PaymentFailure, PaymentFailureCode } from './stripe.exception';
export { failureException, failureOf, isDefinite } from './stripe-error.translator';
export { StripeGateway } from './stripe.gateway';
export type { CreatePaymentIntentInput } from './stripe.gateway';
export { StripeModule } from './stripe.module';
