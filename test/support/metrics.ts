import type { Server } from 'node:http';
import request from 'supertest';
import { checkedAgainstContract } from './contract/checked';

/**
 * The current value of one Prometheus counter series (0 when it has not been touched yet).
 * prom-client's registry is process-wide, so a test compares values before and after itself
 * rather than trusting an absolute number other tests have moved.
 */
export async function readCounter(
  http: Server,
  name: string,
  labels: Record<string, string>,
): Promise<number> {
  const response = await checkedAgainstContract(request(http).get('/metrics'), 'get', '/metrics');
  if (response.status !== 200) throw new Error(`/metrics answered ${response.status}`);
  const wanted = Object.entries(labels)
    .map(([label, value]) => `${label}="${value}"`)
    .sort()
    .join(',');
  for (const line of response.text.split('\n')) {
    const match = /^(\w+)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!match || match[1] !== name) continue;
    const series = (match[2] ?? '').split(',').filter(Boolean).sort().join(',');
    if (series === wanted) return Number(match[3]);
  }
  return 0;
}

/** Every counter series named here, read at once: for before/after deltas of several outcomes. */
export async function readCounters(
  http: Server,
  name: string,
  label: string,
  values: readonly string[],
): Promise<Record<string, number>> {
  const entries = await Promise.all(
    values.map(async (value) => [value, await readCounter(http, name, { [label]: value })] as const),
  );
  return Object.fromEntries(entries);
}
