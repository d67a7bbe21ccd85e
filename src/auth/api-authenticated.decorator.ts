import { applyDecorators } from '@nestjs/common';
import { ApiBearerAuth } from '@nestjs/swagger';
import { ApiErrors } from '../common/openapi/api-errors.decorator';
import { AuthErrorCode } from './auth.exception';

/**
 * Documents what the global JwtAuthGuard does to a controller or route that is not @Public():
 * it needs the bearer token, and answers 401 without a valid one.
 */
export const ApiAuthenticated = () =>
  applyDecorators(
    ApiBearerAuth(),
    ApiErrors(AuthErrorCode.TOKEN_MISSING, AuthErrorCode.TOKEN_INVALID, AuthErrorCode.TOKEN_EXPIRED),
  );
