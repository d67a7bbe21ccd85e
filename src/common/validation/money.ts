/**
 * In the minor unit (docs/design/requests.md): Stripe's own eight-digit limit, so Stripe never refuses a
 * valid request for its size. Request validation and the database CHECK both read it from here.
 */
export const MAX_AMOUNT = 99_999_999;
