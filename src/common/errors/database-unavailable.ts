import { QueryFailedError } from 'typeorm';
import { asErrorLike } from './error-like';

const NETWORK_ERROR_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENOTFOUND',
  'EPIPE',
]);
// SQLSTATE class 08 (connection exception), statement timeout, and the shutdown codes.
const UNAVAILABLE_SQLSTATES = /^(08...|57014|57P01|57P02|57P03|53300)$/;
const POOL_MESSAGES =
  /Connection terminated|timeout exceeded when trying to connect|Client has encountered a connection error|Query read timeout/i;

/** PostgreSQL unreachable or the connection dropped: a 503 with Retry-After, never a 500. */
export function isDatabaseUnavailableError(error: unknown): boolean {
  const cause = asErrorLike(error instanceof QueryFailedError ? (error.driverError as unknown) : error);
  if (!cause) return false;
  const code = cause.code;
  if (typeof code === 'string' && (NETWORK_ERROR_CODES.has(code) || UNAVAILABLE_SQLSTATES.test(code)))
    return true;
  return POOL_MESSAGES.test(cause.message);
}
