/**
 * Which responses are stored for replay (docs/design/idempotency.md): 2xx for the long TTL; a 4xx the handler
 * produced (402 card declined, 422 business rule) for the short TTL. Validation, auth, 404, 409, 429 and the
 * like say nothing was done, and neither does a 5xx: those release the key so the client may retry at once.
 */
export type StoragePolicy = 'success' | 'client-error' | 'none';

const NEVER_STORED_4XX = new Set([400, 401, 403, 404, 405, 408, 409, 413, 415, 429]);

export function storagePolicyFor(statusCode: number): StoragePolicy {
  if (statusCode >= 200 && statusCode < 300) return 'success';
  if (statusCode >= 400 && statusCode < 500 && !NEVER_STORED_4XX.has(statusCode)) return 'client-error';
  return 'none';
}
