import { HttpStatus } from '@nestjs/common';
import { moduleException } from '../common/errors/app.exception';
import { WWW_AUTHENTICATE_HEADER } from '../common/openapi/response-headers';

export enum AuthErrorCode {
  TOKEN_MISSING = 'AUTH_TOKEN_MISSING',
  TOKEN_INVALID = 'AUTH_TOKEN_INVALID',
  TOKEN_EXPIRED = 'AUTH_TOKEN_EXPIRED',
  ADMIN_ROLE_REQUIRED = 'ADMIN_ROLE_REQUIRED',
}

export const AUTH_ERROR_STATUS: Record<AuthErrorCode, HttpStatus> = {
  [AuthErrorCode.TOKEN_MISSING]: HttpStatus.UNAUTHORIZED,
  [AuthErrorCode.TOKEN_INVALID]: HttpStatus.UNAUTHORIZED,
  [AuthErrorCode.TOKEN_EXPIRED]: HttpStatus.UNAUTHORIZED,
  [AuthErrorCode.ADMIN_ROLE_REQUIRED]: HttpStatus.FORBIDDEN,
};

export class AuthException extends moduleException(AUTH_ERROR_STATUS, {
  [AuthErrorCode.TOKEN_MISSING]: WWW_AUTHENTICATE_HEADER,
  [AuthErrorCode.TOKEN_INVALID]: WWW_AUTHENTICATE_HEADER,
  [AuthErrorCode.TOKEN_EXPIRED]: WWW_AUTHENTICATE_HEADER,
}) {
  constructor(code: AuthErrorCode, message: string) {
    // RFC 6750: a 401 names the scheme the client should use.
    super(
      code,
      message,
      undefined,
      code === AuthErrorCode.ADMIN_ROLE_REQUIRED ? {} : { 'WWW-Authenticate': 'Bearer' },
    );
  }
}
