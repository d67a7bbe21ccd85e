/**
 * Stored for replay (docs/design/idempotency.md): 2xx for the long TTL, and 4xx the handler produced (402,
 * 422) for the short one. Other 4xx and every 5xx mean nothing was done, so they release the key for an
 * immediate retry.
 */
export type StoragePolicy = 'success' | 'client-error' | 'none';

const NEVER_STORED_4XX = new Set([400, 401, 403, 404, 405, 408, 409, 413, 415, 429]);

export function storagePolicyFor(statusCode: number): StoragePolicy {
  if (statusCode >= 200 && statusCode < 300) return 'success';
  if (statusCode >= 400 && statusCode < 500 && !NEVER_STORED_4XX.has(statusCode)) return 'client-error';
  return 'none';
}
