import { randomUUID } from 'node:crypto';
import request from 'supertest';
import { IdempotencyModule } from '../../src/idempotency/idempotency.module';
import { ExecutionCounter, IdempotencyProbeController } from './idempotency-probe.controller';
import { createTestApp, TestApp } from './test-app';
import { bearer, signToken } from './tokens';

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

export interface Caller {
  tenantId: string;
  userId: string;
  headers: Record<string, string>;
}

export function newCaller(overrides: { tenantId?: string; userId?: string } = {}): Caller {
  const tenantId = overrides.tenantId ?? randomUUID();
  const userId = overrides.userId ?? `user-${randomUUID().slice(0, 8)}`;
  return { tenantId, userId, headers: bearer(signToken({ tenantId, userId })) };
}

export function charge(app: { http: TestApp['http'] }, caller: Caller, key: string | string[], body: object) {
  // An array sends the header once per value (to test a repeated header).
  return request(app.http).post(CHARGES).set(caller.headers).set({ 'Idempotency-Key': key }).send(body);
}
