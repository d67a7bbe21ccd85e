import { AsyncLocalStorage } from 'node:async_hooks';
import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Logger } from 'pino';

type TenantTagged = { principal?: { tenantId?: string } };

const REQUEST_ID = /^[\w.:-]{1,128}$/;

/** Probed by orchestrators and scrapers many times a minute: answered, never logged. */
const UNLOGGED_PATHS = new Set(['/health', '/metrics']);

const requestIds = new AsyncLocalStorage<string>();

/** Adds the request id to every line written while serving it, without a logger per request. */
export function currentRequestId(): { req: { id: string } } | Record<string, never> {
  const id = requestIds.getStore();
  return id === undefined ? {} : { req: { id } };
}

export function currentRequestIdValue(): string | undefined {
  return requestIds.getStore();
}

/** Fastify's `genReqId`: the caller's `X-Request-Id` when it is sane, else a new UUID. */
export function requestIdFor(request: IncomingMessage): string {
  const given = request.headers['x-request-id'];
  return typeof given === 'string' && REQUEST_ID.test(given) ? given : randomUUID();
}

/**
 * Writes one access line per request, never a header or a body. Replaces pino-http, whose per-request child
 * logger cost a fifth of a health check, and runs first so refused bodies are logged too.
 */
export function registerAccessLog(
  fastify: FastifyInstance,
  logger: Logger,
  onClosed: (statusCode: number) => void = () => undefined,
): void {
  fastify.addHook('onRequest', (request, reply, done) => {
    reply.header('X-Request-Id', request.id);
    if (!UNLOGGED_PATHS.has(request.url)) {
      const startedAt = Date.now();
      reply.raw.once('close', () => {
        onClosed(reply.raw.statusCode);
        writeLine(logger, request, reply, Date.now() - startedAt);
      });
    }
    requestIds.run(request.id, done);
  });
}

function writeLine(logger: Logger, request: FastifyRequest, reply: FastifyReply, elapsedMs: number): void {
  const { statusCode } = reply.raw;
  const level = statusCode >= 500 ? 'error' : statusCode >= 400 ? 'warn' : 'info';
  if (!logger.isLevelEnabled(level)) return;
  const line = {
    req: { id: request.id, method: request.method, url: request.url },
    res: { statusCode },
    responseTime: elapsedMs,
    tenantId: (request as TenantTagged).principal?.tenantId,
  };
  if (reply.raw.writableFinished) logger[level](line, 'request completed');
  // The client went away before the answer was written; the line says so, whatever the status.
  else logger.warn(line, 'request aborted');
}
