import type { IncomingMessage, ServerResponse } from 'node:http';

const MAX_BODY_BYTES = 1024 * 1024;

export class PayloadTooLargeError extends Error {}

export async function readBody(request: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request) {
    const buffer = Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk));
    size += buffer.length;
    if (size > MAX_BODY_BYTES) throw new PayloadTooLargeError(`Request body above ${MAX_BODY_BYTES} bytes`);
    chunks.push(buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

export function writeJson(
  response: ServerResponse,
  status: number,
  body: string,
  headers: Record<string, string> = {},
): void {
  response.writeHead(status, {
    ...headers,
    'Content-Type': 'application/json',
    'Content-Length': String(Buffer.byteLength(body)),
  });
  response.end(body);
}

export function headerValue(request: IncomingMessage, name: string): string | null {
  const value = request.headers[name.toLowerCase()];
  const first = Array.isArray(value) ? value[0] : value;
  return first === undefined || first === '' ? null : first;
}

/**
 * The secret key from `Authorization: Bearer sk_…` (what the SDK sends) or `Basic base64(sk_…:)` (what
 * `curl -u sk_test_…:` sends), or null when absent or not a secret key.
 */
export function secretKey(request: IncomingMessage): string | null {
  const [scheme, credentials] = (headerValue(request, 'authorization') ?? '').split(/\s+/, 2);
  const key =
    scheme?.toLowerCase() === 'basic'
      ? Buffer.from(credentials ?? '', 'base64')
          .toString('utf8')
          .split(':')[0]
      : scheme?.toLowerCase() === 'bearer'
        ? credentials
        : undefined;
  return key !== undefined && key.startsWith('sk_') ? key : null;
}

export function sleep(ms: number): Promise<void> {
  return ms > 0 ? new Promise((resolve) => setTimeout(resolve, ms)) : Promise.resolve();
}
