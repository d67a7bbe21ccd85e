import { Injectable } from '@nestjs/common';
import { AppConfig } from '../config/app-config';

export interface CreateOnce<T> {
  /**
   * Records that Stripe is being asked for the row's object (the first time only) and answers
   * how long ago that first attempt was, in seconds, by the database clock. The row's owner
   * implements it: only the owner writes its table.
   */
  recordAttempt: () => Promise<number>;
  /** Looks the object up at Stripe (by our id in its metadata). */
  find: () => Promise<T | undefined>;
  /** Creates it, with the idempotency key derived from the request's scoped key. */
  create: () => Promise<T>;
}

/**
 * Creates the Stripe object of a row exactly once, however often the row's request is
 * re-executed. Within Stripe's idempotency window, sending the same call with the same key is
 * safe: Stripe replays whatever it did. Past it, Stripe may have forgotten the key, so the
 * object is looked for first. The window is measured from the row's first attempt, recorded
 * before Stripe is ever called.
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
