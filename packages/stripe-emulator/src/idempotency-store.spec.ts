import { canonicalJson, IdempotencyStore, type IdempotentRequest } from './idempotency-store';

describe(IdempotencyStore.name, () => {
  const request: IdempotentRequest = {
    scope: 'sk_test_a',
    key: 'key-1',
    endpoint: 'POST /v1/payment_intents',
    fingerprint: canonicalJson({ amount: '100', currency: 'usd' }),
  };
  const response = { status: 200, body: '{"id":"pi_1"}', requestId: 'req_1' };

  afterEach(() => jest.useRealTimers());

  it('canonicalises parameter order', () => {
    expect(canonicalJson({ b: '1', a: { d: ['x'], c: '2' } })).toBe(
      canonicalJson({ a: { c: '2', d: ['x'] }, b: '1' }),
    );
  });

  it('replays a completed response, refuses a different endpoint or parameters', () => {
    const store = new IdempotencyStore(60_000);
    const claim = store.claim(request);
    if (claim.kind !== 'claimed') throw new Error(`expected a claim, got ${claim.kind}`);
    expect(store.claim(request)).toMatchObject({ kind: 'conflict', error: { status: 409 } });
    claim.complete(response);
    expect(store.claim(request)).toEqual({ kind: 'replay', response });
    expect(store.claim({ ...request, fingerprint: '{}' })).toMatchObject({
      kind: 'conflict',
      error: { status: 400, body: { type: 'idempotency_error' } },
    });
    expect(store.claim({ ...request, endpoint: 'POST /v1/refunds' })).toMatchObject({
      kind: 'conflict',
      error: { status: 400, body: { type: 'idempotency_error' } },
    });
    expect(store.claim({ ...request, scope: 'sk_test_b' }).kind).toBe('claimed');
  });

  it('frees a released key and forgets an expired one', () => {
    jest.useFakeTimers({ now: 0 });
    const store = new IdempotencyStore(1_000);
    const first = store.claim(request);
    if (first.kind !== 'claimed') throw new Error('expected a claim');
    first.release();
    const second = store.claim(request);
    if (second.kind !== 'claimed') throw new Error('expected the released key to be claimable');
    second.complete(response);
    jest.setSystemTime(999);
    expect(store.claim(request).kind).toBe('replay');
    jest.setSystemTime(1_000);
    expect(store.claim(request).kind).toBe('claimed');
  });

  it('forgets every stored result at once but keeps the claim of a request still running', () => {
    const store = new IdempotencyStore(60_000);
    const done = store.claim(request);
    if (done.kind !== 'claimed') throw new Error('expected a claim');
    done.complete(response);
    const runningRequest = { ...request, key: 'key-2' };
    expect(store.claim(runningRequest).kind).toBe('claimed');

    expect(store.forgetCompleted()).toBe(1);

    expect(store.claim({ ...request, fingerprint: '{}' }).kind).toBe('claimed');
    expect(store.claim(runningRequest)).toMatchObject({ kind: 'conflict', error: { status: 409 } });
    expect(store.forgetCompleted()).toBe(0);
  });
});
