import fc from 'fast-check';
import {
  fingerprintRequest,
  IDEMPOTENCY_KEY_PATTERN,
  readIdempotencyKey,
  scopeId,
  stripeIdempotencyKey,
} from './idempotency-scope';

describe('idempotency scope', () => {
  const key = '3f1c2b8e-3d4a-4f5b-9c6d-7e8f9a0b1c2d';

  describe(readIdempotencyKey.name, () => {
    it('reads a bare UUID v4 and lower-cases it', () => {
      expect(readIdempotencyKey(['Idempotency-Key', key.toUpperCase()])).toEqual({ key });
    });

    it('reads a quoted structured-field string', () => {
      expect(readIdempotencyKey(['idempotency-key', `"${key}"`])).toEqual({ key });
    });

    it('accepts exactly what the API document states: a v4, bare or quoted, in any letter case', () => {
      const pattern = new RegExp(IDEMPOTENCY_KEY_PATTERN, 'u');
      const upperCased = (text: string) =>
        fc
          .array(fc.boolean(), { minLength: text.length, maxLength: text.length })
          .map((upper) => [...text].map((char, i) => (upper[i] ? char.toUpperCase() : char)).join(''));
      const candidates = fc.oneof(
        fc.uuid({ version: [1, 4, 7] }).chain(upperCased),
        fc.uuid({ version: 4 }).map((uuid) => `"${uuid}"`),
        fc.uuid({ version: 4 }).map((uuid) => `"${uuid}`),
        fc.string(),
      );
      fc.assert(
        fc.property(candidates, (value) => {
          const read = 'key' in readIdempotencyKey(['Idempotency-Key', value]);
          expect({ value, documented: pattern.test(value) }).toEqual({ value, documented: read });
        }),
        { numRuns: 2000 },
      );
    });

    it('reports a missing header', () => {
      expect(readIdempotencyKey(['Content-Type', 'application/json'])).toEqual({ problem: 'missing' });
    });

    it('reports a header given twice, even with the same value', () => {
      expect(readIdempotencyKey(['Idempotency-Key', key, 'Idempotency-Key', key])).toEqual({
        problem: 'repeated',
      });
    });

    it.each([
      ['not a UUID', 'abc'],
      ['a UUID v1', '3f1c2b8e-3d4a-1f5b-9c6d-7e8f9a0b1c2d'],
      ['a bad variant', '3f1c2b8e-3d4a-4f5b-7c6d-7e8f9a0b1c2d'],
      ['a half-quoted key', `"${key}`],
      ['empty', ''],
    ])('rejects %s', (_name, value) => {
      expect(readIdempotencyKey(['Idempotency-Key', value])).toEqual({ problem: 'invalid' });
    });
  });

  describe(fingerprintRequest.name, () => {
    it('ignores key order at every depth', () => {
      expect(fingerprintRequest('POST', '/payments/process', { a: 1, b: { x: 1, y: [1, 2] } })).toBe(
        fingerprintRequest('post', '/payments/process', { b: { y: [1, 2], x: 1 }, a: 1 }),
      );
    });

    it('differs by body, route and method', () => {
      const base = fingerprintRequest('POST', '/refunds', { amount: 1 });
      expect(fingerprintRequest('POST', '/refunds', { amount: 2 })).not.toBe(base);
      expect(fingerprintRequest('POST', '/intents', { amount: 1 })).not.toBe(base);
      expect(fingerprintRequest('PUT', '/refunds', { amount: 1 })).not.toBe(base);
      expect(fingerprintRequest('POST', '/refunds', [1, 2])).not.toBe(
        fingerprintRequest('POST', '/refunds', [2, 1]),
      );
    });

    it('differs by the path’s parameters, and is unchanged for a route without any', () => {
      const rotate = '/webhook-endpoints/:id/rotate-secret';
      const ofA = fingerprintRequest('POST', rotate, {}, { id: 'a' });
      expect(fingerprintRequest('POST', rotate, {}, { id: 'b' })).not.toBe(ofA);
      expect(fingerprintRequest('POST', rotate, {}, { id: 'a' })).toBe(ofA);
      expect(fingerprintRequest('POST', '/refunds', { amount: 1 }, {})).toBe(
        fingerprintRequest('POST', '/refunds', { amount: 1 }),
      );
    });
  });

  describe(stripeIdempotencyKey.name, () => {
    const scope = { tenantId: '6f1c2b8e-3d4a-4f5b-9c6d-7e8f9a0b1c2d', userId: 'alice', key };

    it('is deterministic per scope and operation, and short enough for Stripe', () => {
      const derived = stripeIdempotencyKey(scope, 'create_payment_intent');
      expect(derived).toBe(stripeIdempotencyKey({ ...scope }, 'create_payment_intent'));
      expect(derived.length).toBeLessThanOrEqual(255);
      expect(stripeIdempotencyKey(scope, 'create_refund')).not.toBe(derived);
      expect(stripeIdempotencyKey({ ...scope, userId: 'bob' }, 'create_payment_intent')).not.toBe(derived);
    });

    it('carries no tenant, user or key in clear', () => {
      const derived = stripeIdempotencyKey(scope, 'create_payment_intent');
      for (const part of [scope.tenantId, scope.userId, scope.key]) expect(derived).not.toContain(part);
      expect(scopeId(scope)).not.toContain(scope.tenantId);
    });
  });
});
