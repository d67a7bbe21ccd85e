import { Injectable } from '@nestjs/common';
import { AppConfig } from '../config/app-config';

export interface CreateOnce<T> {
  /** Returns the age in seconds of the row's first Stripe attempt, stamping it if unstamped. */
  recordAttempt: () => Promise<number>;
  find: () => Promise<T | undefined>;
  create: () => Promise<T>;
}

/**
 * Past Stripe's idempotency window the key may be forgotten, so the object is looked up before re-sending.
 */
@Injectable()
export class StripeAttempts {
  constructor(private readonly config: AppConfig) {}

  async createOnce<T>(operations: CreateOnce<T>): Promise<T> {
    const ageSeconds = await operations.recordAttempt();
    const pastWindow = ageSeconds >= this.config.stripe.idempotencyWindowSeconds;
    const earlier = pastWindow ? await operations.find() : undefined;
    return earlier ?? operations.create();
  }
}
