/**
 * The largest amount the service takes, in the currency's minor unit (docs/design/requests.md): Stripe's own
 * limit (eight digits), so a valid request is never refused by Stripe for its size. Request
 * validation and the database CHECK both read it from here.
 */
export const MAX_AMOUNT = 99_999_999;
