import { Injectable } from '@nestjs/common';
import { AppConfig } from '../config/app-config';

export interface CreateOnce<T> {
  /**
   * Stamps the row's first Stripe attempt (once) and returns its age in seconds by the database clock.
   * Implemented by the row's owner, the only writer of its table.
   */
  recordAttempt: () => Promise<number>;
  find: () => Promise<T | undefined>;
  create: () => Promise<T>;
}

/**
 * Creates a row's Stripe object exactly once, however often the request is re-executed. Within Stripe's
 * idempotency window the same call with the same key is replayed by Stripe; past it Stripe may have forgotten
 * the key, so the object is looked up first. The window is measured from the row's first attempt, recorded
 * before Stripe is called.
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
