import { CanActivate, ExecutionContext, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { ADMIN_ROLE } from './admin.guard';
import { isAdminPath } from './admin-path';
import { AuthErrorCode, AuthException } from './auth.exception';
import { principalFromClaims } from './jwt-claims';
import { JwtVerifier } from './jwt-verifier';
import { AuthenticatedRequest } from './principal';
import { IS_PUBLIC } from './public.decorator';

/** Global guard: every route needs a valid HS256 bearer token (`JwtVerifier`) unless marked @Public(). */
@Injectable()
export class JwtAuthGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly jwt: JwtVerifier,
  ) {}

  canActivate(context: ExecutionContext): boolean {
    const isPublic = this.reflector.getAllAndOverride<boolean>(IS_PUBLIC, [
      context.getHandler(),
      context.getClass(),
    ]);
    if (isPublic) return true;

    const request = context.switchToHttp().getRequest<AuthenticatedRequest>();
    const token = bearerToken(request.headers.authorization);
    if (!token) throw new AuthException(AuthErrorCode.TOKEN_MISSING, 'A bearer token is required');

    const principal = principalFromClaims(this.jwt.verify(token));
    if (!principal)
      throw new AuthException(AuthErrorCode.TOKEN_INVALID, 'The bearer token lacks required claims');
    // /admin/* needs the admin role whatever its controller declares (docs/design/requests.md).
    if (isAdminPath(request.originalUrl ?? request.url) && !principal.roles.includes(ADMIN_ROLE)) {
      throw new AuthException(AuthErrorCode.ADMIN_ROLE_REQUIRED, 'This route requires the admin role');
    }
    request.principal = principal;
    return true;
  }
}

function bearerToken(header: string | undefined): string | undefined {
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header ?? '');
  return match?.[1];
}
