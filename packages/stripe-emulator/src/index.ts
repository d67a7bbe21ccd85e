export { StripeEmulator } from './stripe-emulator';
export * from './stripe-emulator.types';
