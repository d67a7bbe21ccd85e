import { Logger } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { STATUS_CODES } from 'node:http';
import type { Duplex } from 'node:stream';
import { describeError } from './error-like';
import { CommonErrorCode, CommonException } from './common.exception';

/**
 * Node rejects some requests before Fastify sees them; they still get the JSON error body (docs/errors.md).
 */
const logger = new Logger('HttpParser');

export function answerClientErrorAsJson(error: NodeJS.ErrnoException, socket: Duplex): void {
  // A response already started on this connection cannot be replaced.
  const started = (socket as Duplex & { _httpMessage?: { headersSent?: boolean } })._httpMessage?.headersSent;
  if (error.code === 'ECONNRESET' || !socket.writable || started) {
    socket.destroy();
    return;
  }
  const exception = exceptionFor(error.code);
  const requestId = randomUUID();
  logger.warn(
    { reqId: requestId, err: describeError(error), statusCode: exception.status, code: exception.code },
    'Request rejected by the HTTP parser',
  );
  const body = JSON.stringify(exception.toBody());
  socket.end(
    [
      `HTTP/1.1 ${exception.status} ${STATUS_CODES[exception.status] ?? ''}`,
      'Content-Type: application/json; charset=utf-8',
      `Content-Length: ${Buffer.byteLength(body)}`,
      `X-Request-Id: ${requestId}`,
      'Connection: close',
      '',
      body,
    ].join('\r\n'),
  );
}

function exceptionFor(code: string | undefined): CommonException {
  switch (code) {
    case 'HPE_HEADER_OVERFLOW':
      return new CommonException(CommonErrorCode.HEADERS_TOO_LARGE, 'Request headers are too large');
    case 'HPE_CHUNK_EXTENSIONS_OVERFLOW':
      return new CommonException(CommonErrorCode.PAYLOAD_TOO_LARGE, 'Request chunk extensions are too large');
    case 'ERR_HTTP_REQUEST_TIMEOUT':
      return new CommonException(CommonErrorCode.REQUEST_TIMEOUT, 'The request was not received in time');
    default:
      return new CommonException(CommonErrorCode.MALFORMED_REQUEST, 'The HTTP request is malformed');
  }
}
