/** Injection token of the configured `stripe` SDK client. */
export const STRIPE_CLIENT = Symbol('STRIPE_CLIENT');
/** Injection token of the in-process emulator in sandbox mode (null otherwise). */
export const STRIPE_SANDBOX_EMULATOR = Symbol('STRIPE_SANDBOX_EMULATOR');
