import { generateKeyPairSync } from 'node:crypto';
import jwt from 'jsonwebtoken';
import { AuthErrorCode } from './auth.exception';
import { JwtVerifier } from './jwt-verifier';

const SECRET = 'a-unit-test-secret-of-sufficient-length';
const TENANT_ID = '0b9a3c1e-8f7d-4e6c-b5a4-3d2c1b0a9f8e';
const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
/** The clock's start, in whole seconds as `exp` and `nbf` count. */
const T0 = 2_000_000_000;

function signToken(
  claims: Record<string, unknown> = {},
  { secret = SECRET, algorithm = 'HS256' }: { secret?: string; algorithm?: jwt.Algorithm } = {},
): string {
  return jwt.sign({ sub: 'user-1', tenant_id: TENANT_ID, exp: T0 + 60, ...claims }, secret, {
    algorithm,
    noTimestamp: true,
  });
}

function base64url(value: unknown): string {
  return Buffer.from(JSON.stringify(value)).toString('base64url');
}

/** The auth error code `verify` throws, or undefined when it lets the token through. */
function refusal(verifier: JwtVerifier, token: string): string | undefined {
  try {
    verifier.verify(token);
    return undefined;
  } catch (error) {
    return (error as { code?: string }).code;
  }
}

/** Moves the clock the verifier and its cache read (`Date.now()`), in seconds. */
function setClock(seconds: number): void {
  jest.setSystemTime(seconds * 1000);
}

describe(JwtVerifier.name, () => {
  let verifier: JwtVerifier;

  beforeEach(() => {
    jest.useFakeTimers({ now: T0 * 1000 });
    verifier = new JwtVerifier(SECRET);
  });
  afterEach(() => jest.useRealTimers());

  it('returns the claims of a valid HS256 token', () => {
    expect(verifier.verify(signToken({ roles: ['admin'] }))).toEqual({
      sub: 'user-1',
      tenant_id: TENANT_ID,
      exp: T0 + 60,
      roles: ['admin'],
    });
  });

  it('keeps a verified token and serves it again', () => {
    const token = signToken();
    const first = verifier.verify(token);
    expect(verifier.cachedTokenCount).toBe(1);
    expect(verifier.verify(token)).toBe(first);
    expect(verifier.cachedTokenCount).toBe(1);
  });

  // Times in milliseconds: a token's last valid instant, then its first expired one.
  it.each([
    ['once it has expired', T0 + 60, (T0 + 59) * 1000, (T0 + 61) * 1000],
    ['from the very instant of its exp, as before', T0 + 60, (T0 + 60) * 1000 - 1, (T0 + 60) * 1000],
    [
      'with a lifetime far beyond the cache TTL, once expired',
      T0 + 86_400,
      (T0 + 3_600) * 1000,
      (T0 + 86_401) * 1000,
    ],
  ])('refuses a cached token %s', (_case, exp, stillValidAt, expiredAt) => {
    const token = signToken({ exp });
    expect(refusal(verifier, token)).toBeUndefined();
    jest.setSystemTime(stillValidAt);
    expect(refusal(verifier, token)).toBeUndefined();
    jest.setSystemTime(expiredAt);
    expect(refusal(verifier, token)).toBe(AuthErrorCode.TOKEN_EXPIRED);
  });

  it('answers expired for an expired token it has never seen', () => {
    const token = signToken({ exp: T0 - 1 });
    expect(refusal(verifier, token)).toBe(AuthErrorCode.TOKEN_EXPIRED);
    expect(refusal(verifier, token)).toBe(AuthErrorCode.TOKEN_EXPIRED);
  });

  it('refuses a token before its nbf, and accepts it once it is valid', () => {
    const token = signToken({ nbf: T0 + 30 });
    expect(refusal(verifier, token)).toBe(AuthErrorCode.TOKEN_INVALID);
    setClock(T0 + 30);
    expect(refusal(verifier, token)).toBeUndefined();
  });

  it('does not serve a cached token while the clock is before its nbf', () => {
    const token = signToken({ nbf: T0 });
    expect(refusal(verifier, token)).toBeUndefined();
    setClock(T0 - 1);
    expect(refusal(verifier, token)).toBe(AuthErrorCode.TOKEN_INVALID);
  });

  it('refuses a wrongly signed token even when a token with the same claims is cached', () => {
    const token = signToken();
    expect(refusal(verifier, token)).toBeUndefined();

    const forged = signToken({}, { secret: 'another-secret-of-sufficient-length' });
    const [header, payload, signature] = token.split('.');
    expect(forged.split('.').slice(0, 2)).toEqual([header, payload]);
    expect(refusal(verifier, forged)).toBe(AuthErrorCode.TOKEN_INVALID);

    const flipped = `${header}.${payload}.${signature.startsWith('A') ? 'B' : 'A'}${signature.slice(1)}`;
    expect(refusal(verifier, flipped)).toBe(AuthErrorCode.TOKEN_INVALID);
    expect(refusal(verifier, `${header}.${payload}.`)).toBe(AuthErrorCode.TOKEN_INVALID);
    expect(refusal(verifier, token)).toBeUndefined();
  });

  it('refuses every spelling of a signature but the canonical one, as jsonwebtoken did', () => {
    const token = signToken();
    expect(refusal(verifier, token)).toBeUndefined();
    // The last of 43 characters carries 4 bits: the next three characters decode to the same bytes.
    const last = ALPHABET.indexOf(token.slice(-1));
    for (const offset of [1, 2, 3]) {
      expect(refusal(verifier, token.slice(0, -1) + ALPHABET[last + offset])).toBe(
        AuthErrorCode.TOKEN_INVALID,
      );
    }
    expect(refusal(verifier, token)).toBeUndefined();
  });

  it('refuses a token whose claims were changed after signing, even when the original is cached', () => {
    const token = signToken();
    expect(refusal(verifier, token)).toBeUndefined();
    const [header, , signature] = token.split('.');
    const otherTenant = base64url({
      sub: 'user-1',
      tenant_id: TENANT_ID.replace('0b9a', '1b9a'),
      exp: T0 + 60,
    });
    expect(refusal(verifier, `${header}.${otherTenant}.${signature}`)).toBe(AuthErrorCode.TOKEN_INVALID);
  });

  it('accepts HS256 only: alg none, HS512 and RS256 tokens are refused', () => {
    const claims = { sub: 'user-1', tenant_id: TENANT_ID, exp: T0 + 60 };
    const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    expect(refusal(verifier, `${base64url({ alg: 'none', typ: 'JWT' })}.${base64url(claims)}.`)).toBe(
      AuthErrorCode.TOKEN_INVALID,
    );
    expect(refusal(verifier, signToken({}, { algorithm: 'HS512' }))).toBe(AuthErrorCode.TOKEN_INVALID);
    expect(refusal(verifier, jwt.sign(claims, privateKey, { algorithm: 'RS256' }))).toBe(
      AuthErrorCode.TOKEN_INVALID,
    );
  });

  it.each(['not.a.jwt', 'abc', '', 'a.b.c.d', `${base64url({ alg: 'HS256' })}.e30`])(
    'refuses the malformed token %j',
    (token) => {
      expect(refusal(verifier, token)).toBe(AuthErrorCode.TOKEN_INVALID);
    },
  );

  it('keeps no more tokens than its bound', () => {
    const bounded = new JwtVerifier(SECRET, 3);
    const tokens = Array.from({ length: 10 }, (_, i) => signToken({ sub: `user-${i}` }));
    for (const token of tokens) {
      expect(refusal(bounded, token)).toBeUndefined();
      expect(bounded.cachedTokenCount).toBeLessThanOrEqual(3);
    }
    expect(bounded.cachedTokenCount).toBe(3);
  });
});
