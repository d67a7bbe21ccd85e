import type { PaymentMethodCard } from './stripe-emulator.types';

/** What confirming with one of Stripe's test PaymentMethods does. */
export type CardBehavior =
  | { kind: 'succeed' }
  | { kind: 'decline'; declineCode: string }
  | { kind: 'requires_action' }
  | { kind: 'processing' };

export interface TestCard {
  behavior: CardBehavior;
  card: PaymentMethodCard;
}

function card(
  brand: string,
  last4: string,
  funding: PaymentMethodCard['funding'] = 'credit',
): PaymentMethodCard {
  return { brand, last4, funding, exp_month: 12, exp_year: new Date().getUTCFullYear() + 3 };
}

const TEST_PAYMENT_METHODS: ReadonlyMap<string, TestCard> = new Map<string, TestCard>([
  ['pm_card_visa', { behavior: { kind: 'succeed' }, card: card('visa', '4242') }],
  ['pm_card_visa_debit', { behavior: { kind: 'succeed' }, card: card('visa', '5556', 'debit') }],
  ['pm_card_mastercard', { behavior: { kind: 'succeed' }, card: card('mastercard', '4444') }],
  ['pm_card_amex', { behavior: { kind: 'succeed' }, card: card('amex', '8431') }],
  [
    'pm_card_chargeDeclined',
    { behavior: { kind: 'decline', declineCode: 'generic_decline' }, card: card('visa', '0002') },
  ],
  [
    'pm_card_chargeDeclinedInsufficientFunds',
    { behavior: { kind: 'decline', declineCode: 'insufficient_funds' }, card: card('visa', '9995') },
  ],
  [
    'pm_card_chargeDeclinedFraudulent',
    { behavior: { kind: 'decline', declineCode: 'fraudulent' }, card: card('visa', '0019') },
  ],
  [
    'pm_card_chargeDeclinedLostCard',
    { behavior: { kind: 'decline', declineCode: 'lost_card' }, card: card('visa', '9987') },
  ],
  ['pm_card_authenticationRequired', { behavior: { kind: 'requires_action' }, card: card('visa', '3184') }],
  ['pm_card_processing', { behavior: { kind: 'processing' }, card: card('visa', '0077') }],
]);

/** One of Stripe's test PaymentMethod ids (`pm_card_visa`…): a card usable by anyone, never attached. */
export function testCard(paymentMethod: string): TestCard | undefined {
  return TEST_PAYMENT_METHODS.get(paymentMethod);
}

export function cardBehavior(paymentMethod: string): CardBehavior | undefined {
  return testCard(paymentMethod)?.behavior;
}

export function testPaymentMethodIds(): string[] {
  return [...TEST_PAYMENT_METHODS.keys()];
}
