import { ChildProcess, fork } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import autocannon from 'autocannon';
import Redis from 'ioredis';
import jwt from 'jsonwebtoken';
import { Client } from 'pg';
import { scopeId } from '../src/idempotency/idempotency-scope';
import type { BenchAnswer } from './bench.module';
import {
  BENCH_ADMIN_DATABASE_URL,
  BENCH_DATABASE_NAME,
  BENCH_JWT_SECRET,
  BENCH_REDIS_URL,
  ControlMessage,
  isServerMessage,
} from './bench-protocol';

/**
 * `npm run bench`: the cost of `@Idempotent()` on a trivial POST, measured against the same
 * route without it. The real application runs in a child process (bench-app.ts); this process
 * only generates load (autocannon) and checks every answer.
 */

interface Load {
  connections: number;
  seconds: number;
}

const WARMUP: Load = { connections: 10, seconds: 2 };
const THROUGHPUT: Load = { connections: 10, seconds: 8 };
const LATENCY: Load = { connections: 1, seconds: 5 };

const TARGET_REPLAY_THROUGHPUT_RATIO = 0.7;
const TARGET_NEW_KEY_P50_OVERHEAD_MS = 2;

const BOOT_TIMEOUT_MS = 60_000;
const STOP_TIMEOUT_MS = 10_000;
const REQUEST_TIMEOUT_S = 10;
/** Whatever happens, the run ends (and the server with it) after this. */
const RUN_DEADLINE_MS = 150_000;
/** Bounds the memory kept for latency samples and keys to clean up. */
const MAX_SAMPLES = 1_000_000;

const TENANT_ID = randomUUID();
const USER_ID = 'bench-user';
const AMOUNT = 1234;
const BODY = JSON.stringify({ amount: AMOUNT });
const REPLAYED_HEADER = 'idempotent-replayed';

type ScenarioName = 'bare' | 'new key' | 'replay';
const SCENARIOS: readonly ScenarioName[] = ['bare', 'new key', 'replay'];

interface Measurement {
  phase: string;
  scenario: ScenarioName;
  load: Load;
  /** Mean of autocannon's per-second samples. */
  rps: number;
  /** Milliseconds, from every response's own timing (sub-millisecond resolution). */
  p50: number;
  p99: number;
  responses: number;
  non2xx: number;
  errors: number;
  timeouts: number;
  failedChecks: number;
  firstProblem?: string;
}

interface Context {
  port: number;
  authorization: string;
  replayKey: string;
  /** The exact body of the replay key's one execution: every replay must send it back. */
  replayBody: string;
  /** Every Idempotency-Key sent, so their Redis entries can be removed at the end. */
  issuedKeys: string[];
}

let server: ChildProcess | undefined;
let running: autocannon.Instance | undefined;
let aborted = false;
let stopping = false;

function write(line = ''): void {
  process.stdout.write(`${line}\n`);
}

// ---------------------------------------------------------------------------------------------
// The server process

async function startServer(): Promise<number> {
  const child = fork(path.join(__dirname, 'bench-app.ts'), [], {
    execArgv: ['--require', 'ts-node/register/transpile-only'],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  server = child;
  return new Promise<number>((resolve, reject) => {
    const timer = setTimeout(
      () => fail(new Error(`the server did not start within ${BOOT_TIMEOUT_MS} ms`)),
      BOOT_TIMEOUT_MS,
    );
    const onMessage = (message: unknown): void => {
      if (!isServerMessage(message)) return;
      if (message.type === 'ready') done(() => resolve(message.port));
      else fail(new Error(`the server failed to start: ${message.error}`));
    };
    const onExit = (code: number | null, signal: NodeJS.Signals | null): void =>
      fail(new Error(`the server exited during startup (code ${code}, signal ${signal})`));
    const done = (settle: () => void): void => {
      clearTimeout(timer);
      child.off('message', onMessage);
      child.off('exit', onExit);
      settle();
    };
    const fail = (error: Error): void => done(() => reject(error));
    child.on('message', onMessage);
    child.on('exit', onExit);
  }).then((port) => {
    // A server that dies mid-run ends the run at once instead of measuring refused connections.
    child.once('exit', (code, signal) => {
      if (stopping) return;
      process.stderr.write(`bench: the server exited unexpectedly (code ${code}, signal ${signal})\n`);
      aborted = true;
      running?.stop();
    });
    return port;
  });
}

function serverAlive(child: ChildProcess): boolean {
  return child.exitCode === null && child.signalCode === null;
}

async function stopServer(): Promise<void> {
  const child = server;
  stopping = true;
  if (!child || !serverAlive(child)) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const stop: ControlMessage = { type: 'stop' };
  if (child.connected) child.send(stop);
  else child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS);
  await exited;
  clearTimeout(timer);
}

// ---------------------------------------------------------------------------------------------
// Requests and their checks

function routeOf(scenario: ScenarioName): string {
  return scenario === 'bare' ? '/bench/bare' : '/bench/idempotent';
}

function headerValue(headers: Record<string, string | string[]>, name: string): string | undefined {
  for (const [key, value] of Object.entries(headers)) {
    if (key.toLowerCase() === name) return Array.isArray(value) ? value.join(', ') : value;
  }
  return undefined;
}

/** Why a response is not what the scenario must answer, or undefined when it is. */
function problemWith(
  scenario: ScenarioName,
  context: Context,
  status: number,
  body: string,
  replayed: string | undefined,
): string | undefined {
  if (status !== 201) return `status ${status}: ${body.slice(0, 200)}`;
  if (scenario === 'replay') {
    if (replayed !== 'true') return `a replay answered without ${REPLAYED_HEADER}: true`;
    if (body !== context.replayBody) return 'a replay answered another body than the first execution';
    return undefined;
  }
  if (replayed !== undefined) return `${scenario} answered with ${REPLAYED_HEADER}: ${replayed}`;
  try {
    const answer = JSON.parse(body) as Partial<BenchAnswer>;
    if (answer.amount !== AMOUNT || typeof answer.id !== 'string') return `unexpected body ${body}`;
  } catch {
    return `body is not JSON: ${body.slice(0, 200)}`;
  }
  return undefined;
}

interface CheckTally {
  responses: number;
  failed: number;
  firstProblem?: string;
}

function requestsFor(scenario: ScenarioName, context: Context, tally: CheckTally): autocannon.RequestSpec[] {
  const keyFor = (): string | undefined => {
    if (scenario === 'replay') return context.replayKey;
    if (scenario === 'bare') return undefined;
    const key = randomUUID();
    if (context.issuedKeys.length < MAX_SAMPLES) context.issuedKeys.push(key);
    return key;
  };
  return [
    {
      method: 'POST',
      path: routeOf(scenario),
      headers: { 'content-type': 'application/json', authorization: context.authorization },
      body: BODY,
      // Every scenario rebuilds its request each time, so the client does the same work for all.
      setupRequest: (request) => {
        const key = keyFor();
        return { ...request, headers: { ...request.headers, ...(key ? { 'idempotency-key': key } : {}) } };
      },
      onResponse: (status, body, _context, headers) => {
        tally.responses++;
        const problem = problemWith(scenario, context, status, body, headerValue(headers, REPLAYED_HEADER));
        if (problem) {
          tally.failed++;
          tally.firstProblem ??= problem;
        }
      },
    },
  ];
}

// ---------------------------------------------------------------------------------------------
// Measuring

function percentile(sorted: Float64Array, p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}

function measure(phase: string, scenario: ScenarioName, load: Load, context: Context): Promise<Measurement> {
  if (aborted) return Promise.reject(new Error('interrupted'));
  const tally: CheckTally = { responses: 0, failed: 0 };
  const samples: number[] = [];
  return new Promise<Measurement>((resolve, reject) => {
    const instance = autocannon(
      {
        url: `http://127.0.0.1:${context.port}`,
        connections: load.connections,
        duration: load.seconds,
        timeout: REQUEST_TIMEOUT_S,
        requests: requestsFor(scenario, context, tally),
      },
      (error, result) => {
        running = undefined;
        if (error) return reject(error);
        if (aborted) return reject(new Error('interrupted'));
        const sorted = Float64Array.from(samples).sort();
        resolve({
          phase,
          scenario,
          load,
          rps: result.requests.average,
          p50: percentile(sorted, 50),
          p99: percentile(sorted, 99),
          responses: tally.responses,
          non2xx: result.non2xx,
          errors: result.errors,
          timeouts: result.timeouts,
          failedChecks: tally.failed,
          firstProblem: tally.firstProblem,
        });
      },
    );
    running = instance;
    instance.on('response', (_client, _status, _bytes, responseTimeMs) => {
      if (samples.length < MAX_SAMPLES) samples.push(responseTimeMs);
    });
  });
}

function invalid(measurement: Measurement): boolean {
  return (
    measurement.responses === 0 ||
    measurement.failedChecks > 0 ||
    measurement.non2xx > 0 ||
    measurement.errors > 0 ||
    measurement.timeouts > 0
  );
}

// ---------------------------------------------------------------------------------------------
// Before and after

interface SingleAnswer {
  status: number;
  body: string;
  replayed: string | null;
}

async function post(context: Context, route: string, headers: Record<string, string>): Promise<SingleAnswer> {
  const response = await fetch(`http://127.0.0.1:${context.port}${route}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: BODY,
    signal: AbortSignal.timeout(REQUEST_TIMEOUT_S * 1000),
  });
  return {
    status: response.status,
    body: await response.text(),
    replayed: response.headers.get(REPLAYED_HEADER),
  };
}

function expect(condition: boolean, what: string, answer: SingleAnswer): void {
  if (!condition)
    throw new Error(`sanity check failed: ${what} (got ${answer.status} ${answer.body.slice(0, 200)})`);
}

/** Proves the routes behave as the scenarios assume, and executes the replay key once. */
async function prepare(context: Context): Promise<void> {
  const auth = { authorization: context.authorization };
  const key = { 'idempotency-key': context.replayKey };
  context.issuedKeys.push(context.replayKey);

  const anonymous = await post(context, '/bench/bare', {});
  expect(anonymous.status === 401, 'POST /bench/bare without a token is 401', anonymous);
  const bare = await post(context, '/bench/bare', auth);
  expect(bare.status === 201 && bare.replayed === null, 'POST /bench/bare is 201', bare);
  const keyless = await post(context, '/bench/idempotent', auth);
  expect(keyless.status === 400, 'POST /bench/idempotent without Idempotency-Key is 400', keyless);

  const first = await post(context, '/bench/idempotent', { ...auth, ...key });
  expect(first.status === 201 && first.replayed === null, 'the first use of a key executes (201)', first);
  const again = await post(context, '/bench/idempotent', { ...auth, ...key });
  expect(
    again.status === 201 && again.replayed === 'true' && again.body === first.body,
    'the second use of a key replays the first answer',
    again,
  );
  context.replayBody = first.body;
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

function dropDatabase(): Promise<unknown> {
  return adminQuery(`DROP DATABASE IF EXISTS ${BENCH_DATABASE_NAME} WITH (FORCE)`);
}

/** Removes the cache entries of every key the run used (their cache keys are derived as in IdempotencyCache). */
async function forgetKeys(keys: readonly string[]): Promise<void> {
  const redis = new Redis(BENCH_REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 1 });
  await redis.connect();
  try {
    for (let start = 0; start < keys.length; start += 500) {
      const names = keys.slice(start, start + 500).flatMap((key) => {
        const id = scopeId({ tenantId: TENANT_ID, userId: USER_ID, key });
        return [`idempotency:response:${id}`, `idempotency:lock:${id}`];
      });
      await redis.del(...names);
    }
  } finally {
    redis.disconnect();
  }
}

async function versions(): Promise<string> {
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

// ---------------------------------------------------------------------------------------------
// Report

function fixed(value: number, digits: number): string {
  return Number.isFinite(value) ? value.toFixed(digits) : 'n/a';
}

function printTable(measurements: readonly Measurement[]): void {
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

function find(measurements: readonly Measurement[], phase: string, scenario: ScenarioName): Measurement {
  const found = measurements.find((m) => m.phase === phase && m.scenario === scenario);
  if (!found) throw new Error(`no ${phase} measurement for ${scenario}`);
  return found;
}

function printRatios(measurements: readonly Measurement[]): void {
  const replayRatio =
    find(measurements, 'throughput', 'replay').rps / find(measurements, 'throughput', 'bare').rps;
  const newKeyRatio =
    find(measurements, 'throughput', 'new key').rps / find(measurements, 'throughput', 'bare').rps;
  const bareP50 = find(measurements, 'latency', 'bare').p50;
  const newKeyOverhead = find(measurements, 'latency', 'new key').p50 - bareP50;
  const replayOverhead = find(measurements, 'latency', 'replay').p50 - bareP50;
  const verdict = (met: boolean): string => (met ? 'MET' : 'MISSED');
  write(
    `replay / bare throughput (${THROUGHPUT.connections} conns):  ${fixed(replayRatio, 2)}     ` +
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

// ---------------------------------------------------------------------------------------------

async function main(): Promise<number> {
  const cpus = os.cpus();
  write('payment-service benchmark: @Idempotent() vs the same route without it');
  write(
    `machine: ${cpus.length} cores (${cpus[0]?.model.trim() ?? 'unknown'}), ${os.platform()} ${os.release()} ${os.arch()}, ` +
      `${(os.totalmem() / 2 ** 30).toFixed(1)} GiB RAM, load average ${os.loadavg()[0].toFixed(2)} at start`,
  );
  write(await versions());

  await dropDatabase(); // a fresh, empty table for every run
  const started = Date.now();
  const port = await startServer();
  write(`server: real app in a child process on 127.0.0.1:${port}, ready in ${Date.now() - started} ms`);

  const now = Math.floor(Date.now() / 1000);
  const token = jwt.sign(
    { sub: USER_ID, tenant_id: TENANT_ID, iat: now, exp: now + 3600 },
    BENCH_JWT_SECRET,
    {
      algorithm: 'HS256',
    },
  );
  const context: Context = {
    port,
    authorization: `Bearer ${token}`,
    replayKey: randomUUID(),
    replayBody: '',
    issuedKeys: [],
  };
  try {
    await prepare(context);
    write(
      `warm-up ${WARMUP.seconds} s per scenario at ${WARMUP.connections} conns; then throughput ` +
        `(${THROUGHPUT.connections} conns, ${THROUGHPUT.seconds} s) and latency (${LATENCY.connections} conn, ${LATENCY.seconds} s) per scenario`,
    );
    const warmups: Measurement[] = [];
    for (const scenario of SCENARIOS) warmups.push(await measure('warm-up', scenario, WARMUP, context));
    const measurements: Measurement[] = [];
    for (const scenario of SCENARIOS)
      measurements.push(await measure('throughput', scenario, THROUGHPUT, context));
    for (const scenario of SCENARIOS) measurements.push(await measure('latency', scenario, LATENCY, context));

    write();
    printTable(measurements);
    write();
    const broken = [...warmups, ...measurements].filter(invalid);
    if (broken.length > 0) {
      for (const m of broken) {
        write(
          `INVALID ${m.phase} / ${m.scenario}: ${m.failedChecks} bad answers, ${m.non2xx} non-2xx, ` +
            `${m.errors} errors, ${m.timeouts} timeouts${m.firstProblem ? `; first: ${m.firstProblem}` : ''}`,
        );
      }
      write('The run is not valid: its figures measure errors, not the idempotency layer.');
      return 1;
    }
    write(
      `checks: every response was 201; every replay carried ${REPLAYED_HEADER}: true and the first execution's body; ` +
        `no bare or new-key answer was a replay`,
    );
    printRatios(measurements);
    write(
      `load average ${os.loadavg()[0].toFixed(2)} at the end: absolute figures drift with whatever else runs on the machine; compare ratios`,
    );
    return 0;
  } finally {
    await stopServer();
    await forgetKeys(context.issuedKeys).catch((error: unknown) =>
      process.stderr.write(`could not remove the run's Redis keys: ${String(error)}\n`),
    );
  }
}

process.on('exit', () => {
  if (server && serverAlive(server)) server.kill('SIGKILL');
});
process.once('SIGINT', () => {
  aborted = true;
  running?.stop();
});
setTimeout(() => {
  process.stderr.write(`bench: deadline of ${RUN_DEADLINE_MS} ms exceeded, giving up\n`);
  process.exit(1);
}, RUN_DEADLINE_MS).unref();

main()
  .catch((error: unknown) => {
    process.stderr.write(`bench failed: ${error instanceof Error ? error.message : String(error)}\n`);
    return 1;
  })
  .then(async (code) => {
    await stopServer();
    await dropDatabase().catch((error: unknown) =>
      process.stderr.write(`could not drop ${BENCH_DATABASE_NAME}: ${String(error)}\n`),
    );
    process.exit(code);
  })
  .catch(() => process.exit(1));
