import { createVerifier, TokenError } from 'fast-jwt';
import { AuthErrorCode, AuthException } from './auth.exception';

/**
 * Verified tokens kept: clients reuse one token for its whole life, so a few thousand callers
 * per process are served from the cache; an entry (a token hash and its claims) takes ~0.4 KB.
 */
export const VERIFIED_TOKEN_CACHE_SIZE = 10_000;

/**
 * How long a verified token is trusted before its signature is checked again. The token's own
 * `exp` and `nbf` bound an entry first: fast-jwt serves a cached token only between its `nbf` and
 * its `exp`, and verifies it afterwards as if it had never seen it (so an expired token gets the
 * expired answer); a failure is never served from the cache.
 */
const VERIFIED_TOKEN_TTL_MS = 10 * 60_000;

/**
 * Verifies HS256 bearer tokens (docs/design/requests.md). Only HS256 is accepted, so `alg: none` and
 * algorithm-confusion tokens fail verification. fast-jwt keeps the claims of the last
 * verified tokens, keyed by a SHA-256 of the whole token (signature included), so a token
 * presented again costs a hash instead of decoding, an HMAC and the claim checks.
 */
export class JwtVerifier {
  private readonly verifyToken: ((token: string) => unknown) & { cache?: { size: number } };

  constructor(secret: string, cacheSize: number = VERIFIED_TOKEN_CACHE_SIZE) {
    this.verifyToken = createVerifier({
      // fast-jwt makes its key object once, here.
      key: Buffer.from(secret),
      algorithms: ['HS256'],
      cache: cacheSize,
      cacheTTL: VERIFIED_TOKEN_TTL_MS,
    });
  }

  /** The token's claims, once its signature, `nbf` and `exp` hold; otherwise a 401. */
  verify(token: string): unknown {
    if (!CANONICAL_HS256_SIGNATURE.test(token)) throw invalid();
    let claims: unknown;
    try {
      claims = this.verifyToken(token);
    } catch (error) {
      if (error instanceof TokenError && error.code === TokenError.codes.expired) throw expired();
      throw invalid();
    }
    // RFC 7519 §4.1.4: a token is expired from the instant of its `exp` on. fast-jwt still
    // accepts it during that very millisecond, fresh or cached; this check is also the last word
    // on expiry whatever a cache hit returns.
    const exp = (claims as { exp?: unknown }).exp;
    if (typeof exp === 'number' && Date.now() >= exp * 1000) throw expired();
    return claims;
  }

  /** How many verified tokens are kept now (fast-jwt hangs its LRU cache on the verifier). */
  get cachedTokenCount(): number {
    return this.verifyToken.cache?.size ?? 0;
  }
}

/**
 * An HS256 signature is 32 bytes: 43 base64url characters, the last carrying 4 bits and 2 that
 * must be zero. fast-jwt decodes the signature leniently, so four spellings of one signature
 * pass it; jsonwebtoken compared the text and refused all but the canonical one, and so do we.
 */
const CANONICAL_HS256_SIGNATURE = /\.[\w-]{42}[AEIMQUYcgkosw048]$/;

function invalid(): AuthException {
  return new AuthException(AuthErrorCode.TOKEN_INVALID, 'The bearer token is invalid');
}

function expired(): AuthException {
  return new AuthException(AuthErrorCode.TOKEN_EXPIRED, 'The bearer token has expired');
}
