import { applyDecorators, CanActivate, ExecutionContext, Injectable, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiForbiddenResponse } from '@nestjs/swagger';
import { AuthErrorCode, AuthException } from './auth.exception';
import { AuthenticatedRequest, principalOf } from './principal';

export const ADMIN_ROLE = 'admin';

@Injectable()
export class AdminGuard implements CanActivate {
  canActivate(context: ExecutionContext): boolean {
    const principal = principalOf(context.switchToHttp().getRequest<AuthenticatedRequest>());
    if (!principal.roles.includes(ADMIN_ROLE)) {
      throw new AuthException(AuthErrorCode.ADMIN_ROLE_REQUIRED, 'This route requires the admin role');
    }
    return true;
  }
}

/** Restricts a controller or route to tokens with the `admin` role; runs after JwtAuthGuard. */
export const AdminOnly = () =>
  applyDecorators(
    UseGuards(AdminGuard),
    ApiBearerAuth(),
    ApiForbiddenResponse({ description: 'Not an admin' }),
  );
