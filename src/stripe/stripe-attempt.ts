import type { DataSource } from 'typeorm';

export type StripeBackedTable = 'payment_transactions' | 'refunds';

/**
 * Records that Stripe is about to be asked for a row's object (the first time only) and says
 * whether that first time is older than `windowSeconds`. Within the window, sending the same
 * request with the same idempotency key is safe: Stripe replays whatever it did. Past it,
 * Stripe may have forgotten the key, so the caller must look for the object before sending.
 */
export async function beginStripeAttempt(
  dataSource: DataSource,
  table: StripeBackedTable,
  id: string,
  windowSeconds: number,
): Promise<{ pastReplayWindow: boolean }> {
  const [rows]: [Array<{ past_window: boolean }>, number] = await dataSource.query(
    `UPDATE ${table} SET stripe_first_attempt_at = COALESCE(stripe_first_attempt_at, now())
     WHERE id = $1
     RETURNING stripe_first_attempt_at <= now() - make_interval(secs => $2) AS past_window`,
    [id, windowSeconds],
  );
  return { pastReplayWindow: rows[0]?.past_window === true };
}
