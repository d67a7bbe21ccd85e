import { readFileSync } from 'node:fs';
import os from 'node:os';
import Redis from 'ioredis';
import { Client } from 'pg';
import { BENCH_ADMIN_DATABASE_URL, BENCH_REDIS_URL } from './bench-protocol';
import type { Measurement } from './load';
import { REPLAYED_HEADER, RouteName, WEBHOOK_RECEIPT } from './scenarios';

/** What the run prints: where it ran, its figures, and whether they meet the targets. */

/** A measured route with the CPU its server spent per response over the measured window. */
export interface RouteFigures extends Measurement {
  cpuMsPerRequest: number;
}

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

function packageVersion(name: string): string {
  const file = require.resolve(`${name}/package.json`);
  return (JSON.parse(readFileSync(file, 'utf8')) as { version: string }).version;
}

export async function versions(): Promise<string> {
  const [{ server_version: postgres }] = await adminQuery<{ server_version: string }>('SHOW server_version');
  const [{ synchronous_commit: synchronousCommit }] = await adminQuery<{ synchronous_commit: string }>(
    'SHOW synchronous_commit',
  );
  const redis = new Redis(BENCH_REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 1 });
  await redis.connect();
  const info = await redis.info('server').finally(() => redis.disconnect());
  const redisVersion = /redis_version:(\S+)/.exec(info)?.[1] ?? '?';
  return (
    `node ${process.version}, PostgreSQL ${postgres.split(' ')[0]} (synchronous_commit ${synchronousCommit}), ` +
    `Redis ${redisVersion}, autocannon ${packageVersion('autocannon')}, @nestjs/core ${packageVersion('@nestjs/core')}`
  );
}

function fixed(value: number, digits: number): string {
  return Number.isFinite(value) ? value.toFixed(digits) : 'n/a';
}

export function printTable(figures: readonly RouteFigures[]): void {
  const header = ['route', 'conns', 'req/s', 'p50 ms', 'p99 ms', 'CPU ms/req', 'responses', 'non-2xx'];
  const rows = figures.map((m) => [
    m.route,
    String(m.load.connections),
    fixed(m.rps, 0),
    fixed(m.p50, 2),
    fixed(m.p99, 2),
    fixed(m.cpuMsPerRequest, 3),
    String(m.responses),
    String(m.non2xx),
  ]);
  const widths = header.map((title, column) =>
    Math.max(title.length, ...rows.map((row) => row[column].length)),
  );
  const line = (cells: string[]): string =>
    cells
      .map((cell, column) => (column === 0 ? cell.padEnd(widths[column]) : cell.padStart(widths[column])))
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
  for (const m of broken) {
    write(
      `INVALID ${m.phase} / ${m.route}: ${m.failedChecks} bad answers, ${m.non2xx} non-2xx, ` +
        `${m.errors} errors, ${m.timeouts} timeouts${m.firstProblem ? `; first: ${m.firstProblem}` : ''}`,
    );
  }
  if (broken.length > 0) {
    write('The run is not valid: its figures measure errors, not the routes.');
    return false;
  }
  write(
    `checks: every answer of every warm-up and measurement was right: health 200 ok; every new payment (service and ` +
      `reference) 201, a succeeded PaymentIntent, an id never answered before, no ${REPLAYED_HEADER}; every replay ` +
      `201 with ${REPLAYED_HEADER}: true and the first execution's body; every webhook 200 ${WEBHOOK_RECEIPT}`,
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

interface Target {
  what: string;
  value: number;
  unit: string;
  met: (value: number) => boolean;
  goal: string;
}

function targets(figures: readonly RouteFigures[]): Target[] {
  const of = (route: RouteName): RouteFigures => {
    const found = figures.find((m) => m.route === route);
    if (!found) throw new Error(`no measurement of ${route}`);
    return found;
  };
  const health = of('health').rps;
  return [
    {
      what: 'new payment / reference req/s',
      value: of('new payment').rps / of('reference').rps,
      unit: '',
      met: (v) => v >= 0.5,
      goal: '>= 0.5',
    },
    {
      // The relay to the endpoint is handed to Redis after the commit, off the request's path.
      what: 'subscribed payment / new payment req/s',
      value: of('subscribed payment').rps / of('new payment').rps,
      unit: '',
      met: (v) => v >= 0.9,
      goal: '>= 0.9',
    },
    {
      what: 'replay / health req/s',
      value: of('replay').rps / health,
      unit: '',
      met: (v) => v >= 0.7,
      goal: '>= 0.7',
    },
    {
      what: 'webhook / health req/s',
      value: of('webhook').rps / health,
      unit: '',
      met: (v) => v >= 0.4,
      goal: '>= 0.4',
    },
    { what: 'webhook p99', value: of('webhook').p99, unit: ' ms', met: (v) => v < 50, goal: '< 50 ms' },
    {
      what: 'CPU per new payment',
      value: of('new payment').cpuMsPerRequest,
      unit: ' ms',
      met: (v) => v <= 1.5,
      goal: '<= 1.5 ms',
    },
    {
      what: 'CPU per replay',
      value: of('replay').cpuMsPerRequest,
      unit: ' ms',
      met: (v) => v <= 0.35,
      goal: '<= 0.35 ms',
    },
  ];
}

/** The targets as ratios within this run; a miss is printed, not a failure. */
export function printTargets(figures: readonly RouteFigures[]): void {
  // Ratios to three places, so a value just under its bound does not print as the bound.
  const rows = targets(figures).map((t) => [
    t.what,
    `${fixed(t.value, t.unit ? 2 : 3)}${t.unit}`,
    t.goal,
    t.met(t.value) ? 'PASS' : 'MISS',
  ]);
  const widths = [0, 1, 2].map((column) => Math.max(...rows.map((row) => row[column].length)));
  for (const [what, value, goal, verdict] of rows) {
    write(
      `${what.padEnd(widths[0])}  ${value.padStart(widths[1])}  target ${goal.padEnd(widths[2])}  ${verdict}`,
    );
  }
}
