/** What confirming with one of Stripe's test PaymentMethods does. */
export type CardBehavior =
  | { kind: 'succeed' }
  | { kind: 'decline'; declineCode: string }
  | { kind: 'requires_action' }
  | { kind: 'processing' };

const TEST_PAYMENT_METHODS: ReadonlyMap<string, CardBehavior> = new Map<string, CardBehavior>([
  ['pm_card_visa', { kind: 'succeed' }],
  ['pm_card_visa_debit', { kind: 'succeed' }],
  ['pm_card_mastercard', { kind: 'succeed' }],
  ['pm_card_amex', { kind: 'succeed' }],
  ['pm_card_chargeDeclined', { kind: 'decline', declineCode: 'generic_decline' }],
  ['pm_card_chargeDeclinedInsufficientFunds', { kind: 'decline', declineCode: 'insufficient_funds' }],
  ['pm_card_chargeDeclinedFraudulent', { kind: 'decline', declineCode: 'fraudulent' }],
  ['pm_card_chargeDeclinedLostCard', { kind: 'decline', declineCode: 'lost_card' }],
  ['pm_card_authenticationRequired', { kind: 'requires_action' }],
  ['pm_card_processing', { kind: 'processing' }],
]);

export function cardBehavior(paymentMethod: string): CardBehavior | undefined {
  return TEST_PAYMENT_METHODS.get(paymentMethod);
}

export function testPaymentMethodIds(): string[] {
  return [...TEST_PAYMENT_METHODS.keys()];
}
