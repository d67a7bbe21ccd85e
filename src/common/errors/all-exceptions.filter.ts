import { ArgumentsHost, Catch, ExceptionFilter, Logger } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { describeError } from './error-like';
import { normalizeError } from './normalize-error';

/**
 * Renders every error as docs/errors.md describes. Unexpected errors are logged by type, code and message
 * only (no stack, SQL or parameters) and answered as a bare 500.
 */
@Catch()
export class AllExceptionsFilter implements ExceptionFilter {
  private readonly logger = new Logger(AllExceptionsFilter.name);

  catch(error: unknown, host: ArgumentsHost): void {
    const response = host.switchToHttp().getResponse<FastifyReply>();
    const { exception, origin } = normalizeError(error);
    if (origin === 'unexpected') this.logger.error({ err: describeError(error) }, 'Unhandled error');
    if (origin === 'database-unavailable')
      this.logger.warn({ err: describeError(error) }, 'Database unavailable');
    if (response.raw.headersSent) {
      response.raw.end();
      return;
    }
    // A handler may have set Location before failing (a commit after it, say), but an error creates nothing.
    response.removeHeader('location');
    response.status(exception.status).headers(exception.headers).send(exception.toBody());
  }
}
