import { IdempotencyModule } from '../../src/idempotency/idempotency.module';
import { ExecutionCounter, IdempotencyProbeController } from './idempotency-probe.controller';
import { createTestApp, TestApp } from './test-app';
import { TestClient } from './test-client';

export const CHARGES = '/probe-idempotency/charges';

export interface ProbeApp extends TestApp {
  executions: ExecutionCounter;
}

/** The real app plus the probe's idempotent POST, against real PostgreSQL and Redis. */
export async function createProbeApp(env: Record<string, string> = {}): Promise<ProbeApp> {
  const testApp = await createTestApp({
    env,
    metadata: {
      imports: [IdempotencyModule],
      controllers: [IdempotencyProbeController],
      providers: [ExecutionCounter],
    },
  });
  return { ...testApp, executions: testApp.app.get(ExecutionCounter) };
}

export function charge(app: Pick<TestApp, 'http'>, client: TestClient, key: string | string[], body: object) {
  return client.to(app).post(CHARGES, body, key);
}
