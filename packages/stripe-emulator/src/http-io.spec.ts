import type { IncomingMessage } from 'node:http';
import { secretKey } from './http-io';

function withAuthorization(authorization?: string): IncomingMessage {
  return { headers: authorization === undefined ? {} : { authorization } } as IncomingMessage;
}

describe(secretKey.name, () => {
  it.each([
    ['Bearer sk_test_123', 'sk_test_123'],
    ['bearer sk_live_x', 'sk_live_x'],
    [`Basic ${Buffer.from('sk_test_abc:').toString('base64')}`, 'sk_test_abc'],
    ['Bearer pk_test_123', null],
    ['Bearer', null],
    ['Token sk_test_123', null],
    [undefined, null],
  ])('reads %s as %s', (authorization, expected) => {
    expect(secretKey(withAuthorization(authorization))).toBe(expected);
  });
});
