import { applyDecorators } from '@nestjs/common';
import { ApiBearerAuth } from '@nestjs/swagger';
import { ApiErrors } from '../common/openapi/api-errors.decorator';
import { AuthErrorCode } from './auth.exception';

/** Documents the 401 the global JwtAuthGuard returns on any route that is not @Public(). */
export const ApiAuthenticated = () =>
  applyDecorators(
    ApiBearerAuth(),
    ApiErrors(AuthErrorCode.TOKEN_MISSING, AuthErrorCode.TOKEN_INVALID, AuthErrorCode.TOKEN_EXPIRED),
  );
