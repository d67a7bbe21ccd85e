import { AsyncLocalStorage } from 'node:async_hooks';
import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Logger } from 'pino';

/** What the auth guard leaves on an authenticated request, as far as the access line reads it. */
type TenantTagged = { principal?: { tenantId?: string } };

const REQUEST_ID = /^[\w.:-]{1,128}$/;

/** Paths probed by orchestrators and scrapers many times a minute: answered, never logged. */
const UNLOGGED_PATHS = new Set(['/health', '/metrics']);

const requestIds = new AsyncLocalStorage<string>();

/**
 * The id of the request being served, for every line written while serving it (pino's `mixin`),
 * so no logger is derived per request. The access line's own `req` takes its place there.
 */
export function currentRequestId(): { req: { id: string } } | Record<string, never> {
  const id = requestIds.getStore();
  return id === undefined ? {} : { req: { id } };
}

/** The id of the request being served, if any. */
export function currentRequestIdValue(): string | undefined {
  return requestIds.getStore();
}

/** A request's id (Fastify's `genReqId`): the caller's `X-Request-Id` when it is sane, else a new UUID. */
export function requestIdFor(request: IncomingMessage): string {
  const given = request.headers['x-request-id'];
  return typeof given === 'string' && REQUEST_ID.test(given) ? given : randomUUID();
}

/**
 * The first hook of the application: echoes the request's id, runs the rest of the request
 * under it, and writes one access line when the response closes: method, URL, status, duration
 * and the caller's tenant. Never a header or a body, so no credential can reach a log.
 *
 * This is what pino-http did, without what made it cost a fifth of a health check here: a child
 * logger, a serialized request and four listeners per request, whether or not a line is written.
 * Running first, before the body parser, it also gives an id and a line to bodies it refuses.
 */
export function registerAccessLog(
  fastify: FastifyInstance,
  logger: Logger,
  /** Told each logged request's status as it closes (the response counter), on the same listener. */
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
  // The client went away before the answer was written: the line says so, whatever the status.
  else logger.warn(line, 'request aborted');
}
