/**
 * Which finished responses are stored for replay (docs/design/idempotency.md):
 * - 2xx for the long TTL;
 * - a 4xx the handler produced after it started (402 card declined, 422 business rule) for the
 *   short TTL;
 * - never: request validation (400), auth (401/403), 404, 409, 429 and the like, which say
 *   nothing was done, and every 5xx. Those release the key so the client may retry at once.
 */
export type StoragePolicy = 'success' | 'client-error' | 'none';

const NEVER_STORED_4XX = new Set([400, 401, 403, 404, 405, 408, 409, 413, 415, 429]);

export function storagePolicyFor(statusCode: number): StoragePolicy {
  if (statusCode >= 200 && statusCode < 300) return 'success';
  if (statusCode >= 400 && statusCode < 500 && !NEVER_STORED_4XX.has(statusCode)) return 'client-error';
  return 'none';
}
