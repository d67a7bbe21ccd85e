import { DataSource } from 'typeorm';
import { WebhookDeliveriesService } from '../../src/webhook-endpoints/webhook-deliveries.service';
import type { DeliveryAttempt } from '../../src/webhook-endpoints/webhook-delivery.repository';
import { createTestApp, TestApp } from './test-app';
import { WebhookReceiver } from './webhook-receiver';
import type { TestClient } from './test-client';

export interface DeliveryRow {
  id: string;
  status: string;
  attempts: number;
  next_attempt_at: Date | null;
  attempt_log: DeliveryAttempt[];
}

/** The delivery of `eventId` to `endpointId`, as the table holds it. */
export async function deliveryOf(
  testApp: Pick<TestApp, 'app'>,
  eventId: string,
  endpointId: string,
): Promise<DeliveryRow | undefined> {
  const [row] = await testApp.app
    .get(DataSource)
    .query<DeliveryRow[]>(
      'SELECT id, status, attempts, next_attempt_at, attempt_log FROM webhook_deliveries WHERE event_id = $1 AND endpoint_id = $2',
      [eventId, endpointId],
    );
  return row;
}

/** Waits until the delivery has had `attempts` attempts and its outcome is recorded. */
export async function waitForAttempts(
  testApp: Pick<TestApp, 'app'>,
  eventId: string,
  endpointId: string,
  attempts: number,
  timeoutMs = 15000,
): Promise<DeliveryRow> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const row = await deliveryOf(testApp, eventId, endpointId);
    if (row && row.attempt_log.filter((entry) => entry.attempt >= 1).length >= attempts) return row;
    if (Date.now() > deadline)
      throw new Error(`Timed out waiting for attempt ${attempts} of ${eventId}: ${JSON.stringify(row)}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

/**
 * Time passes: the delivery's next attempt is due now, and a sweep hands it to the workers at
 * once (unless the scheduled sweep is running: then that one does).
 */
export async function makeDue(testApp: Pick<TestApp, 'app'>, deliveryId: string): Promise<void> {
  const [, affected] = await testApp.app
    .get(DataSource)
    .query<[unknown, number]>(
      `UPDATE webhook_deliveries SET next_attempt_at = now() WHERE id = $1 AND status = 'pending'`,
      [deliveryId],
    );
  if (affected !== 1) throw new Error(`delivery ${deliveryId} is not pending`);
  await testApp.app.get(WebhookDeliveriesService).sweepDue();
}

/** Registers `url` for the client's tenant; answers the endpoint's id and secret. */
export async function registerEndpoint(
  client: TestClient,
  url: string,
  enabledEvents: string[] = ['*'],
): Promise<{ id: string; secret: string }> {
  const response = await client.post('/webhook-endpoints', { url, enabledEvents });
  if (response.status !== 201) throw new Error(`endpoint not created: ${response.status} ${response.text}`);
  return response.body as { id: string; secret: string };
}

/** An app delivering fast (sweeps every second, a 1 s timeout) and the receivers a suite starts. */
export class DeliveryHarness {
  private readonly receivers: WebhookReceiver[] = [];
  private app: TestApp | undefined;

  async start(): Promise<TestApp> {
    this.app = await createTestApp({
      env: { OUTGOING_WEBHOOK_SWEEP_INTERVAL_SECONDS: '1', OUTGOING_WEBHOOK_TIMEOUT_MS: '1000' },
    });
    return this.app;
  }

  async receiver(): Promise<WebhookReceiver> {
    const started = await WebhookReceiver.start();
    this.receivers.push(started);
    return started;
  }

  async close(): Promise<void> {
    await Promise.all(this.receivers.map((receiver) => receiver.close()));
    await this.app?.close();
  }
}

/** Registers a suite's delivery app and receivers, started before its tests and closed after. */
export function deliverySuite(): { app: TestApp; db: DataSource; receiver: () => Promise<WebhookReceiver> } {
  const harness = new DeliveryHarness();
  const suite = {
    app: undefined as unknown as TestApp,
    db: undefined as unknown as DataSource,
    receiver: () => harness.receiver(),
  };
  beforeAll(async () => {
    suite.app = await harness.start();
    suite.db = suite.app.app.get(DataSource);
  });
  afterAll(() => harness.close());
  return suite;
}
