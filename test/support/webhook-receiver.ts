import { createServer, IncomingHttpHeaders, IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Webhook } from 'standardwebhooks';
import { OpenApiContract } from './contract/openapi-contract';

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
 * library as a tenant's own code would. Every delivery is checked against the document's
 * `webhooks`, and `close()` fails on the first that departs from it.
 */
export class WebhookReceiver {
  readonly received: ReceivedWebhook[] = [];
  /** Deliveries not as docs/openapi.json's `webhooks` says, checked as they arrive. */
  private readonly violations: Error[] = [];
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

  /** Closes the receiver; throws the first delivery that departed from the API document. */
  async close(): Promise<void> {
    for (const response of this.held) response.destroy();
    this.server.closeAllConnections();
    await new Promise((resolve) => this.server.close(resolve));
    if (this.violations.length > 0) throw this.violations[0];
  }

  private handle(request: IncomingMessage, response: ServerResponse): void {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      this.received.push({ headers: request.headers, body, receivedAt: Date.now() });
      try {
        OpenApiContract.load().checkWebhook('tenantEvent', { headers: request.headers, text: body });
      } catch (error) {
        this.violations.push(error as Error);
      }
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
