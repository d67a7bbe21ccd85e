import net from 'node:net';

export interface RawAnswer {
  status: number;
  /** The status line and header lines, as written. */
  headers: string;
  /** The same headers by lower-cased name. */
  fields: Record<string, string>;
  body: string;
}

/**
 * Writes bytes on a fresh connection and reads until the server closes it: for requests no HTTP
 * client would send (a malformed header, headers over the limit), which Node refuses before any
 * route runs.
 */
export function rawExchange(port: number, bytes: string | Buffer, endAfterWrite = false): Promise<RawAnswer> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.on('error', reject);
    socket.on('close', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      const [head = '', body = ''] = text.split('\r\n\r\n', 2);
      const fields = Object.fromEntries(
        head
          .split('\r\n')
          .slice(1)
          .map((line) => [
            line.slice(0, line.indexOf(':')).toLowerCase(),
            line.slice(line.indexOf(':') + 1).trim(),
          ]),
      );
      resolve({ status: Number(/^HTTP\/1\.1 (\d{3})/.exec(head)?.[1] ?? 0), headers: head, fields, body });
    });
    socket.write(bytes, () => {
      if (endAfterWrite) socket.end();
    });
  });
}
