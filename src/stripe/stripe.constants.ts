export const STRIPE_CLIENT = Symbol('STRIPE_CLIENT');
/** Null outside sandbox mode. */
export const STRIPE_SANDBOX_EMULATOR = Symbol('STRIPE_SANDBOX_EMULATOR');
