/** Stripe's eight-digit limit (docs/design/requests.md); also read by the database CHECK. */
export const MAX_AMOUNT = 99_999_999;
