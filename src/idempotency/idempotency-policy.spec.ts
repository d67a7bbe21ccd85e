import { storagePolicyFor } from './idempotency-policy';

describe(storagePolicyFor.name, () => {
  it.each([200, 201, 204])('stores %i for the long TTL', (status) => {
    expect(storagePolicyFor(status)).toBe('success');
  });

  it.each([402, 422])('stores business error %i for the short TTL', (status) => {
    expect(storagePolicyFor(status)).toBe('client-error');
  });

  it.each([400, 401, 403, 404, 409, 429, 500, 502, 503])('never stores %i', (status) => {
    expect(storagePolicyFor(status)).toBe('none');
  });
});
