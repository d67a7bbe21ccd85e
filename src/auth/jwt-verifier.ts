import { createVerifier, TokenError } from 'fast-jwt';
import { AuthErrorCode, AuthException } from './auth.exception';

/** Clients reuse a token for its whole life; an entry takes about 0.4 KB. */
export const VERIFIED_TOKEN_CACHE_SIZE = 10_000;

/** fast-jwt serves a cached token only between its `nbf` and `exp`, and never caches a failure. */
const VERIFIED_TOKEN_TTL_MS = 10 * 60_000;

/**
 * Only HS256 is accepted (docs/design/requests.md), so `alg: none` and algorithm-confusion tokens fail.
 * Verified claims are cached by a hash of the whole token, signature included.
 */
export class JwtVerifier {
  private readonly verifyToken: ((token: string) => unknown) & { cache?: { size: number } };

  constructor(secret: string, cacheSize: number = VERIFIED_TOKEN_CACHE_SIZE) {
    this.verifyToken = createVerifier({
      key: Buffer.from(secret),
      algorithms: ['HS256'],
      cache: cacheSize,
      cacheTTL: VERIFIED_TOKEN_TTL_MS,
    });
  }

  verify(token: string): unknown {
    if (!CANONICAL_HS256_SIGNATURE.test(token)) throw invalid();
    let claims: unknown;
    try {
      claims = this.verifyToken(token);
    } catch (error) {
      if (error instanceof TokenError && error.code === TokenError.codes.expired) throw expired();
      throw invalid();
    }
    // RFC 7519 §4.1.4: a token is expired from the instant of its `exp`. fast-jwt still accepts it during
    // that millisecond, fresh or cached, so this check has the last word.
    const exp = (claims as { exp?: unknown }).exp;
    if (typeof exp === 'number' && Date.now() >= exp * 1000) throw expired();
    return claims;
  }

  get cachedTokenCount(): number {
    return this.verifyToken.cache?.size ?? 0;
  }
}

/** fast-jwt accepts four spellings of one HS256 signature; only the canonical one is accepted here. */
const CANONICAL_HS256_SIGNATURE = /\.[\w-]{42}[AEIMQUYcgkosw048]$/;

function invalid(): AuthException {
  return new AuthException(AuthErrorCode.TOKEN_INVALID, 'The bearer token is invalid');
}

function expired(): AuthException {
  return new AuthException(AuthErrorCode.TOKEN_EXPIRED, 'The bearer token has expired');
}
