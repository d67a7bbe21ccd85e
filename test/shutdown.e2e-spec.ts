import Redis from 'ioredis';
import { randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import net from 'node:net';
import { CHARGES, createProbeApp } from './support/idempotency-app';
import { DisposableRedis } from './support/redis-server';
import { createTestApp } from './support/test-app';
import { eventually } from './support/time';
import { signToken } from './support/tokens';

/** The names of the clients connected to `redis`, other than the connection asking. */
async function connectedClientNames(redis: DisposableRedis): Promise<string[]> {
  const observer = new Redis(redis.url, { connectionName: 'shutdown-observer' });
  try {
    const list = await observer.client('LIST');
    return String(list)
      .trim()
      .split('\n')
      .map((line) => /\bname=(\S*)/.exec(line)?.[1] ?? '')
      .filter((name) => name !== 'shutdown-observer');
  } finally {
    observer.disconnect();
  }
}

describe('Shutdown', () => {
  let redis: DisposableRedis;

  beforeAll(async () => {
    redis = await DisposableRedis.start();
  });
  afterAll(() => redis.stop());

  // A connection left open keeps the process alive after app.close(), and reconnects forever.
  it("closes every Redis connection it opened, the queue board's included", async () => {
    const testApp = await createTestApp({ env: { REDIS_URL: redis.url } });
    await eventually(async () => {
      expect(await connectedClientNames(redis)).toEqual(
        expect.arrayContaining(['payment-service', 'payment-service-webhooks']),
      );
    });
    await testApp.close();
    await eventually(async () => {
      expect(await connectedClientNames(redis)).toEqual([]);
    });
  });

  // Without `Connection: close` once draining, the kept-alive connection would hold the process
  // for its keep-alive timeout (72 s), and this test would time out.
  it('finishes the request in flight, then closes its kept-alive connection', async () => {
    const probe = await createProbeApp({ REDIS_URL: redis.url });
    const { port } = probe.http.address() as AddressInfo;
    const body = JSON.stringify({ amount: 1, delayMs: 1000 });
    const socket = net.connect(port, '127.0.0.1');
    const received: Buffer[] = [];
    socket.on('data', (chunk: Buffer) => received.push(chunk));
    const closedByServer = new Promise((resolve) => socket.on('end', resolve));
    socket.write(
      [
        `POST ${CHARGES} HTTP/1.1`,
        'Host: x',
        'Connection: keep-alive',
        `Authorization: Bearer ${signToken()}`,
        `Idempotency-Key: ${randomUUID()}`,
        'Content-Type: application/json',
        `Content-Length: ${Buffer.byteLength(body)}`,
        '',
        body,
      ].join('\r\n'),
    );

    await probe.executions.whenStarted(1);
    await probe.close();
    await closedByServer;

    const answer = Buffer.concat(received).toString('utf8');
    expect(answer).toMatch(/^HTTP\/1\.1 201 /);
    expect(answer).toMatch(/^connection: close\r$/im);
    expect(answer).toContain('"amount":1');
  });
});
