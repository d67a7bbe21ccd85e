import { readFileSync } from 'node:fs';
import os from 'node:os';
import Redis from 'ioredis';
import { Client } from 'pg';
import { BENCH_ADMIN_DATABASE_URL, BENCH_REDIS_URL } from './bench-protocol';
import type { Measurement } from './load';
import { REPLAYED_HEADER, ScenarioName, WEBHOOK_RECEIPT } from './scenarios';

/** What the run prints: where it ran, its figures, and whether they meet the targets. */

const TARGET_REPLAY_THROUGHPUT_RATIO = 0.7;
const TARGET_NEW_KEY_P50_OVERHEAD_MS = 2;

export function write(line = ''): void {
  process.stdout.write(`${line}\n`);
}

export function loadAverage(): string {
  return os.loadavg()[0].toFixed(2);
}

export function printMachine(): void {
  const cpus = os.cpus();
  write(
    `machine: ${cpus.length} cores (${cpus[0]?.model.trim() ?? 'unknown'}), ${os.platform()} ${os.release()} ${os.arch()}, ` +
      `${(os.totalmem() / 2 ** 30).toFixed(1)} GiB RAM, load average ${loadAverage()} at start`,
  );
}

async function adminQuery<T extends object>(sql: string): Promise<T[]> {
  const client = new Client({ connectionString: BENCH_ADMIN_DATABASE_URL, connectionTimeoutMillis: 5000 });
  await client.connect();
  try {
    return (await client.query<T>(sql)).rows;
  } finally {
    await client.end();
  }
}

export async function versions(): Promise<string> {
  const [{ server_version: postgres }] = await adminQuery<{ server_version: string }>('SHOW server_version');
  const redis = new Redis(BENCH_REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 1 });
  await redis.connect();
  const info = await redis.info('server').finally(() => redis.disconnect());
  const redisVersion = /redis_version:(\S+)/.exec(info)?.[1] ?? '?';
  const autocannonPackage = JSON.parse(readFileSync(require.resolve('autocannon/package.json'), 'utf8')) as {
    version: string;
  };
  return `node ${process.version}, PostgreSQL ${postgres.split(' ')[0]}, Redis ${redisVersion}, autocannon ${autocannonPackage.version}`;
}

function fixed(value: number, digits: number): string {
  return Number.isFinite(value) ? value.toFixed(digits) : 'n/a';
}

export function printTable(measurements: readonly Measurement[]): void {
  const header = [
    'phase',
    'scenario',
    'conns',
    'secs',
    'req/s',
    'p50 ms',
    'p99 ms',
    'responses',
    'non-2xx',
    'errors',
    'bad',
  ];
  const rows = measurements.map((m) => [
    m.phase,
    m.scenario,
    String(m.load.connections),
    String(m.load.seconds),
    fixed(m.rps, 0),
    fixed(m.p50, 2),
    fixed(m.p99, 2),
    String(m.responses),
    String(m.non2xx),
    String(m.errors + m.timeouts),
    String(m.failedChecks),
  ]);
  const widths = header.map((title, column) =>
    Math.max(title.length, ...rows.map((row) => row[column].length)),
  );
  const line = (cells: string[]): string =>
    cells
      .map((cell, column) => (column < 2 ? cell.padEnd(widths[column]) : cell.padStart(widths[column])))
      .join('  ');
  write(line(header));
  write(widths.map((width) => '-'.repeat(width)).join('  '));
  for (const row of rows) write(line(row));
}

/** A measurement of errors rather than of the route measured. */
function invalid(measurement: Measurement): boolean {
  return (
    measurement.responses === 0 ||
    measurement.failedChecks > 0 ||
    measurement.non2xx > 0 ||
    measurement.errors > 0 ||
    measurement.timeouts > 0
  );
}

/** Prints what every answer was checked for, or what was wrong; false when the run is not valid. */
export function printValidity(measurements: readonly Measurement[]): boolean {
  const broken = measurements.filter(invalid);
  if (broken.length > 0) {
    for (const m of broken) {
      write(
        `INVALID ${m.phase} / ${m.scenario}: ${m.failedChecks} bad answers, ${m.non2xx} non-2xx, ` +
          `${m.errors} errors, ${m.timeouts} timeouts${m.firstProblem ? `; first: ${m.firstProblem}` : ''}`,
      );
    }
    write('The run is not valid: its figures measure errors, not the routes.');
    return false;
  }
  write(
    `checks: every bench response was 201; every replay carried ${REPLAYED_HEADER}: true and the first execution's body; ` +
      `no bare or new-key answer was a replay; every webhook answer was 200 ${WEBHOOK_RECEIPT}`,
  );
  return true;
}

/** Every acknowledged event must be stored; false when one is not. */
export function printStoredEvents(acknowledged: number, stored: number): boolean {
  write(
    `webhook_inbox: ${stored} of the ${acknowledged} events acknowledged under load are rows` +
      (stored === acknowledged ? '' : ' — INVALID: an acknowledged event was lost'),
  );
  return stored === acknowledged;
}

function find(measurements: readonly Measurement[], phase: string, scenario: ScenarioName): Measurement {
  const found = measurements.find((m) => m.phase === phase && m.scenario === scenario);
  if (!found) throw new Error(`no ${phase} measurement for ${scenario}`);
  return found;
}

export function printRatios(measurements: readonly Measurement[]): void {
  const bareThroughput = find(measurements, 'throughput', 'bare');
  const replayRatio = find(measurements, 'throughput', 'replay').rps / bareThroughput.rps;
  const newKeyRatio = find(measurements, 'throughput', 'new key').rps / bareThroughput.rps;
  const bareP50 = find(measurements, 'latency', 'bare').p50;
  const newKeyOverhead = find(measurements, 'latency', 'new key').p50 - bareP50;
  const replayOverhead = find(measurements, 'latency', 'replay').p50 - bareP50;
  const verdict = (met: boolean): string => (met ? 'MET' : 'MISSED');
  write(
    `replay / bare throughput (${bareThroughput.load.connections} conns):  ${fixed(replayRatio, 2)}     ` +
      `target >= ${TARGET_REPLAY_THROUGHPUT_RATIO}  ${verdict(replayRatio >= TARGET_REPLAY_THROUGHPUT_RATIO)}`,
  );
  write(
    `new key p50 - bare p50 (1 conn):       ${fixed(newKeyOverhead, 2)} ms  ` +
      `target <= ${TARGET_NEW_KEY_P50_OVERHEAD_MS} ms  ${verdict(newKeyOverhead <= TARGET_NEW_KEY_P50_OVERHEAD_MS)}`,
  );
  write(
    `(for reference: new key / bare throughput ${fixed(newKeyRatio, 2)}; replay p50 - bare p50 ${fixed(replayOverhead, 2)} ms)`,
  );
}
