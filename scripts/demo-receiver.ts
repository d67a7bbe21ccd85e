/**
 * The demo's webhook receiver: a tenant's endpoint on a loopback port, verifying each delivery
 * with the Standard Webhooks library as a tenant's own code would.
 */
import { createServer, IncomingHttpHeaders, Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Webhook } from 'standardwebhooks';

export interface VerifiedDelivery {
  headers: IncomingHttpHeaders;
  body: string;
  /** The event, or why the signature did not verify. */
  event?: Record<string, unknown>;
  error?: string;
}

export class DemoReceiver {
  readonly deliveries: VerifiedDelivery[] = [];
  /** Known once the endpoint is registered: deliveries before then cannot be verified. */
  secret: string | undefined;

  private constructor(private readonly server: Server) {}

  static async start(): Promise<DemoReceiver> {
    const holder: { receiver?: DemoReceiver } = {};
    const server = createServer((request, response) => {
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', () => {
        holder.receiver?.verify(request.headers, Buffer.concat(chunks).toString('utf8'));
        response.writeHead(204).end();
      });
    });
    holder.receiver = new DemoReceiver(server);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return holder.receiver;
  }

  get url(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/webhooks`;
  }

  /** Waits up to `timeoutMs` for a first delivery; answers whether one came. */
  async waitForDelivery(timeoutMs: number): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    while (this.deliveries.length === 0 && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    return this.deliveries.length > 0;
  }

  close(): void {
    this.server.closeAllConnections();
    this.server.close();
  }

  private verify(headers: IncomingHttpHeaders, body: string): void {
    const delivery: VerifiedDelivery = { headers, body };
    try {
      if (!this.secret) throw new Error('no secret yet');
      delivery.event = new Webhook(this.secret).verify(body, {
        'webhook-id': String(headers['webhook-id']),
        'webhook-timestamp': String(headers['webhook-timestamp']),
        'webhook-signature': String(headers['webhook-signature']),
      }) as Record<string, unknown>;
    } catch (error) {
      delivery.error = error instanceof Error ? error.message : String(error);
    }
    this.deliveries.push(delivery);
  }
}
