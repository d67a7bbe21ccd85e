import { ArgumentsHost, Catch, ExceptionFilter, Logger } from '@nestjs/common';
import type { Request, Response } from 'express';
import { randomUUID } from 'node:crypto';
import { describeError } from './error-like';
import { normalizeError } from './normalize-error';

/**
 * Renders every error as `{statusCode, code, message, details?}` (SPEC §3). Unexpected errors
 * are logged by type, code and message only (no stack, no SQL text or parameters) and reach the
 * client as a bare 500.
 */
@Catch()
export class AllExceptionsFilter implements ExceptionFilter {
  private readonly logger = new Logger(AllExceptionsFilter.name);

  catch(error: unknown, host: ArgumentsHost): void {
    const response = host.switchToHttp().getResponse<Response>();
    const { exception, origin } = normalizeError(error);
    if (origin === 'unexpected') this.logger.error({ err: describeError(error) }, 'Unhandled error');
    if (origin === 'database-unavailable')
      this.logger.warn({ err: describeError(error) }, 'Database unavailable');
    if (response.headersSent) {
      response.end();
      return;
    }
    if (!response.getHeader('X-Request-Id')) {
      // Rejected by the body parser, before the request logger ran: give it an id and a line.
      const requestId = randomUUID();
      response.setHeader('X-Request-Id', requestId);
      const request = host.switchToHttp().getRequest<Request>();
      this.logger.warn(
        {
          reqId: requestId,
          method: request.method,
          path: request.path,
          code: exception.code,
          statusCode: exception.status,
        },
        'Request rejected before routing',
      );
    }
    response.status(exception.status).set(exception.headers).json(exception.toBody());
  }
}
