import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityTarget, ObjectLiteral } from 'typeorm';
import { AppConfig } from '../config/app-config';

export interface CreateOnce<T> {
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
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly config: AppConfig,
  ) {}

  /**
   * `entity` is the caller's own entity, whose rows stand for one Stripe object each and have a
   * `stripe_first_attempt_at` column; `id` is the row's.
   */
  async createOnce<T>(
    entity: EntityTarget<ObjectLiteral>,
    id: string,
    operations: CreateOnce<T>,
  ): Promise<T> {
    const table = this.dataSource.getMetadata(entity).tablePath;
    const [rows]: [Array<{ past_window: boolean }>, number] = await this.dataSource.query(
      `UPDATE ${table} SET stripe_first_attempt_at = COALESCE(stripe_first_attempt_at, now())
       WHERE id = $1
       RETURNING stripe_first_attempt_at <= now() - make_interval(secs => $2) AS past_window`,
      [id, this.config.stripe.idempotencyWindowSeconds],
    );
    const earlier = rows[0]?.past_window === true ? await operations.find() : undefined;
    return earlier ?? operations.create();
  }
}
