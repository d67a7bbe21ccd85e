import { createServer, IncomingHttpHeaders, IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Webhook } from 'standardwebhooks';

export interface ReceivedWebhook {
  headers: IncomingHttpHeaders;
  body: string;
  receivedAt: number;
}

/** What the receiver does with the next request: answer it, or hold it until closed. */
export type ReceiverBehaviour =
  { kind: 'answer'; status: number; headers?: Record<string, string>; body?: string } | { kind: 'hang' };

/**
 * A tenant's webhook receiver on a loopback port, as a test drives it: it keeps every request it
 * gets, answers 200 unless told otherwise, and verifies deliveries with the Standard Webhooks
 * library as a tenant's own code would.
 */
export class WebhookReceiver {
  readonly received: ReceivedWebhook[] = [];
  private behaviour: ReceiverBehaviour = { kind: 'answer', status: 200 };
  private readonly held = new Set<ServerResponse>();

  private constructor(private readonly server: Server) {}

  static async start(): Promise<WebhookReceiver> {
    const holder: { receiver?: WebhookReceiver } = {};
    const server = createServer((request, response) => holder.receiver?.handle(request, response));
    const receiver = new WebhookReceiver(server);
    holder.receiver = receiver;
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return receiver;
  }

  get url(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/hooks`;
  }

  /** How the receiver answers from now on. */
  respond(behaviour: ReceiverBehaviour): void {
    this.behaviour = behaviour;
  }

  /** The requests carrying event `eventId` (its `webhook-id`). */
  deliveriesOf(eventId: string): ReceivedWebhook[] {
    return this.received.filter((request) => request.headers['webhook-id'] === eventId);
  }

  /** Waits until `count` deliveries of `eventId` have arrived; answers them. */
  async waitForDeliveries(eventId: string, count = 1, timeoutMs = 15000): Promise<ReceivedWebhook[]> {
    const deadline = Date.now() + timeoutMs;
    while (this.deliveriesOf(eventId).length < count) {
      if (Date.now() > deadline) {
        throw new Error(
          `Timed out waiting for ${count} delivery(ies) of ${eventId}; got ${this.deliveriesOf(eventId).length}`,
        );
      }
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
    return this.deliveriesOf(eventId);
  }

  async close(): Promise<void> {
    for (const response of this.held) response.destroy();
    this.server.closeAllConnections();
    await new Promise((resolve) => this.server.close(resolve));
  }

  private handle(request: IncomingMessage, response: ServerResponse): void {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      this.received.push({
        headers: request.headers,
        body: Buffer.concat(chunks).toString('utf8'),
        receivedAt: Date.now(),
      });
      const behaviour = this.behaviour;
      if (behaviour.kind === 'hang') {
        this.held.add(response);
        return;
      }
      response.writeHead(behaviour.status, behaviour.headers);
      response.end(behaviour.body ?? '');
    });
  }
}

/** Verifies a delivery as a receiver would, with the Standard Webhooks library; answers the event. */
export function verifyDelivery(secret: string, delivery: ReceivedWebhook): Record<string, unknown> {
  return new Webhook(secret).verify(delivery.body, {
    'webhook-id': String(delivery.headers['webhook-id']),
    'webhook-timestamp': String(delivery.headers['webhook-timestamp']),
    'webhook-signature': String(delivery.headers['webhook-signature']),
  }) as Record<string, unknown>;
}
