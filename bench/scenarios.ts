import { randomUUID } from 'node:crypto';

/** What the load generator sends: one client, three scenarios over the two bench routes. */

export const TENANT_ID = randomUUID();
export const USER_ID = 'bench-user';
export const AMOUNT = 1234;
export const BODY = JSON.stringify({ amount: AMOUNT });
export const REPLAYED_HEADER = 'idempotent-replayed';

export type ScenarioName = 'bare' | 'new key' | 'replay';
export const SCENARIOS: readonly ScenarioName[] = ['bare', 'new key', 'replay'];

export interface Context {
  port: number;
  authorization: string;
  replayKey: string;
  /** The exact body of the replay key's one execution: every replay must send it back. */
  replayBody: string;
  /** Every Idempotency-Key sent, so their Redis entries can be removed at the end. */
  issuedKeys: string[];
}

export function routeOf(scenario: ScenarioName): string {
  return scenario === 'bare' ? '/bench/bare' : '/bench/idempotent';
}
