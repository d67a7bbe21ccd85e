import { FaultInjector, parseFaultSpec } from './fault-injector';

describe(FaultInjector.name, () => {
  it('wears a failure out after `times` matching calls and ignores other calls', () => {
    const faults = new FaultInjector();
    faults.add({ kind: 'fail', status: 502, times: 2, method: 'post', path: '/v1/refunds' });
    expect(faults.takeFailure('POST', '/v1/payment_intents')).toBeUndefined();
    expect(faults.takeFailure('GET', '/v1/refunds/re_1')).toBeUndefined();
    expect(faults.takeFailure('POST', '/v1/refunds')?.status).toBe(502);
    expect(faults.list()).toEqual([
      { kind: 'fail', status: 502, times: 1, method: 'post', path: '/v1/refunds' },
    ]);
    expect(faults.takeFailure('POST', '/v1/refunds')?.status).toBe(502);
    expect(faults.takeFailure('POST', '/v1/refunds')).toBeUndefined();
  });

  it('keeps latency until cleared and adds up overlapping delays', () => {
    const faults = new FaultInjector();
    faults.add({ kind: 'latency', ms: 100 });
    faults.add({ kind: 'latency', ms: 50, path: '/v1/payment_intents', times: 1 });
    expect(faults.takeLatencyMs('POST', '/v1/payment_intents')).toBe(150);
    expect(faults.takeLatencyMs('POST', '/v1/payment_intents')).toBe(100);
    faults.clear();
    expect(faults.takeLatencyMs('POST', '/v1/payment_intents')).toBe(0);
  });

  it('refuses nonsense', () => {
    const faults = new FaultInjector();
    expect(() => faults.add({ kind: 'fail', status: 200 })).toThrow(/status/);
    expect(() => faults.add({ kind: 'drop', times: 0 })).toThrow(/times/);
  });
});

describe(parseFaultSpec.name, () => {
  it('reads each kind from JSON', () => {
    expect(parseFaultSpec({ kind: 'fail', status: 503, times: 2, path: '/v1' })).toMatchObject({
      kind: 'fail',
      status: 503,
      times: 2,
      path: '/v1',
    });
    expect(parseFaultSpec({ kind: 'latency', ms: 20 })).toMatchObject({ kind: 'latency', ms: 20 });
    expect(parseFaultSpec({ kind: 'drop', method: 'POST' })).toMatchObject({ kind: 'drop', method: 'POST' });
  });

  it.each([
    [null],
    [[]],
    [{ kind: 'boom' }],
    [{ kind: 'fail' }],
    [{ kind: 'latency', ms: '5' }],
    [{ kind: 'fail', status: 500, type: 'nope' }],
  ])('rejects %j', (input) => {
    expect(() => parseFaultSpec(input)).toThrow();
  });
});
