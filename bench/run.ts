import { randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import jwt from 'jsonwebtoken';
import ts from 'typescript';
import {
  BENCH_DATABASE_NAME,
  BENCH_DATABASE_URL,
  BENCH_JWT_SECRET,
  BENCH_REDIS_URL,
  BENCH_STRIPE_SECRET_KEY,
  BENCH_WEBHOOK_SECRET,
  REFERENCE_REDIS_PREFIX,
} from './bench-protocol';
import { countStoredEvents, prepare } from './checks';
import { dropBenchDatabase, forgetKeys, forgetReferenceKeys, forgetWebhookJobs } from './cleanup';
import { abortLoad, Load, measure, Measurement } from './load';
import { BenchProcess, freePort, killAll, stopAll } from './processes';
import {
  loadAverage,
  printMachine,
  printStoredEvents,
  printTable,
  printTargets,
  printValidity,
  RouteFigures,
  versions,
  write,
} from './report';
import { Context, ROUTES, RouteName, targetOf, TENANT_ID, USER_ID } from './scenarios';

/**
 * `npm run bench` (docs/benchmarks.md): the service as production builds and runs it, against
 * the Stripe emulator and a framework-free reference server doing the same durable work, each
 * in its own process. This process only generates load (load.ts), checks every answer
 * (checks.ts), asks each server for its CPU, and prints the figures and targets (report.ts).
 */

const ROOT = path.join(__dirname, '..');
const SERVICE_MAIN = path.join(ROOT, 'dist/src/main.js');
const EMULATOR_MAIN = path.join(ROOT, 'dist/packages/stripe-emulator/src/stripe-emulator.main.js');
const REFERENCE_SOURCE = path.join(__dirname, 'reference-server.ts');
/** Beside the service's build, so `require` finds the same node_modules; `nest build` wipes it. */
const REFERENCE_MAIN = path.join(ROOT, 'dist/bench/reference-server.js');

/** The table was measured at 32 connections. */
const WARMUP: Load = { connections: 32, seconds: 3 };
const MEASURED: Load = { connections: 32, seconds: 10 };

/** Whatever happens, the run ends (and every process it started with it) after this. */
const RUN_DEADLINE_MS = 170_000;

const processes: Partial<Record<'emulator' | 'service' | 'reference', BenchProcess>> = {};

interface Ports {
  emulator: number;
  service: number;
  reference: number;
}

function startEmulator(ports: Ports): Promise<BenchProcess> {
  return BenchProcess.start(
    {
      name: 'stripe emulator',
      script: EMULATOR_MAIN,
      args: ['--port', String(ports.emulator), '--host', '127.0.0.1'],
      env: { PATH: process.env.PATH },
      readiness: { url: `http://127.0.0.1:${ports.emulator}/`, anyStatus: true },
    },
    abortLoad,
  );
}

/** The service configured as production is, through env only; `profileDir` adds `--cpu-prof`. */
function startService(ports: Ports, profileDir: string | undefined): Promise<BenchProcess> {
  return BenchProcess.start(
    {
      name: 'service',
      script: SERVICE_MAIN,
      nodeOptions: profileDir ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] : [],
      env: {
        PATH: process.env.PATH,
        NODE_ENV: 'production',
        PORT: String(ports.service),
        DATABASE_URL: BENCH_DATABASE_URL,
        REDIS_URL: BENCH_REDIS_URL,
        JWT_SECRET: BENCH_JWT_SECRET,
        STRIPE_SECRET_KEY: BENCH_STRIPE_SECRET_KEY,
        STRIPE_API_URL: `http://127.0.0.1:${ports.emulator}`,
        STRIPE_WEBHOOK_SECRET: BENCH_WEBHOOK_SECRET,
        // Rate limiting stays on, so its cost is measured; the budget only has to outlast the run.
        RATE_LIMIT_PAYMENTS_PER_WINDOW: '1000000',
        // Events are acknowledged (stored, enqueued) but not processed: processing would compete for the cores.
        WORKER_MODE: 'api',
      },
      readiness: { url: `http://127.0.0.1:${ports.service}/health` },
    },
    abortLoad,
  );
}

/**
 * Plain JavaScript, like the service: no ts-node (and its source-map hook) in the process
 * measured. It imports nothing of the project, so transpiling the one file is enough.
 */
function compileReference(): void {
  const { outputText } = ts.transpileModule(readFileSync(REFERENCE_SOURCE, 'utf8'), {
    compilerOptions: {
      module: ts.ModuleKind.CommonJS,
      target: ts.ScriptTarget.ES2023,
      esModuleInterop: true,
    },
    fileName: REFERENCE_SOURCE,
  });
  mkdirSync(path.dirname(REFERENCE_MAIN), { recursive: true });
  writeFileSync(REFERENCE_MAIN, outputText);
}

function startReference(ports: Ports): Promise<BenchProcess> {
  compileReference();
  return BenchProcess.start(
    {
      name: 'reference server',
      script: REFERENCE_MAIN,
      env: {
        PATH: process.env.PATH,
        PORT: String(ports.reference),
        DATABASE_URL: BENCH_DATABASE_URL,
        REDIS_URL: BENCH_REDIS_URL,
        REDIS_PREFIX: REFERENCE_REDIS_PREFIX,
        STRIPE_SECRET_KEY: BENCH_STRIPE_SECRET_KEY,
        STRIPE_API_URL: `http://127.0.0.1:${ports.emulator}`,
      },
      readiness: { url: `http://127.0.0.1:${ports.reference}/health` },
    },
    abortLoad,
  );
}

function bearerToken(): string {
  const now = Math.floor(Date.now() / 1000);
  const claims = { sub: USER_ID, tenant_id: TENANT_ID, iat: now, exp: now + 3600 };
  return `Bearer ${jwt.sign(claims, BENCH_JWT_SECRET, { algorithm: 'HS256' })}`;
}

/** One measured window, with the CPU the answering server spent over it per response. */
async function measureWithCpu(route: RouteName, context: Context): Promise<RouteFigures> {
  const server = targetOf(route) === 'service' ? processes.service : processes.reference;
  if (!server) throw new Error(`no process answers ${route}`);
  const before = await server.cpuUsage();
  const measurement = await measure('measured', route, MEASURED, context);
  const spent = await server.cpuUsage();
  const cpuMs = (spent.user - before.user + spent.system - before.system) / 1000;
  return { ...measurement, cpuMsPerRequest: cpuMs / measurement.responses };
}

function profileDirectory(): string | undefined {
  if (!process.argv.includes('--cpu-prof')) return undefined;
  return mkdtempSync(path.join(os.tmpdir(), 'payment-service-profile-'));
}

async function startAll(profileDir: string | undefined): Promise<Ports> {
  for (const main of [SERVICE_MAIN, EMULATOR_MAIN]) {
    if (!existsSync(main)) throw new Error(`${main} is missing: npm run bench builds it (nest build) first`);
  }
  const ports: Ports = { emulator: await freePort(), service: await freePort(), reference: await freePort() };
  const started = Date.now();
  processes.emulator = await startEmulator(ports);
  // The service creates and migrates the bench database; the reference adds its tables to it.
  processes.service = await startService(ports, profileDir);
  processes.reference = await startReference(ports);
  write(
    `processes: Stripe emulator (compiled) on :${ports.emulator}; service \`node dist/src/main.js\` on :${ports.service} ` +
      `(NODE_ENV=production, LOG_LEVEL default info with stdout discarded, rate limiting on, WORKER_MODE=api: webhook ` +
      `events are stored and enqueued, not processed, so no processing competes); reference server on :${ports.reference}; ` +
      `all ready in ${Date.now() - started} ms`,
  );
  return ports;
}

async function main(profileDir: string | undefined): Promise<number> {
  write(
    'payment-service benchmark: the real routes, built as in production, against a framework-free reference',
  );
  printMachine();
  write(await versions());

  await dropBenchDatabase(); // a fresh, empty database for every run
  await forgetWebhookJobs(); // and an empty queue
  const ports = await startAll(profileDir);
  const context: Context = {
    ports: { service: ports.service, reference: ports.reference },
    authorization: bearerToken(),
    replayKey: randomUUID(),
    replayBody: '',
    issuedKeys: [],
    acknowledgedEvents: [],
  };
  try {
    await prepare(context);
    write(
      `each route: warm-up ${WARMUP.seconds} s, then measured ${MEASURED.seconds} s, at ${MEASURED.connections} connections; ` +
        `CPU = the answering server's own process.cpuUsage() over the measured window / responses`,
    );
    const warmups: Measurement[] = [];
    for (const route of ROUTES) warmups.push(await measure('warm-up', route, WARMUP, context));
    const figures: RouteFigures[] = [];
    for (const route of ROUTES) figures.push(await measureWithCpu(route, context));
    const stored = await countStoredEvents(context.acknowledgedEvents);

    write();
    printTable(figures);
    write();
    const valid = printValidity([...warmups, ...figures]);
    const allStored = printStoredEvents(context.acknowledgedEvents.length, stored);
    write();
    if (valid && allStored) printTargets(figures);
    else write('targets not assessed: the figures of an invalid run measure errors');
    write(
      `load average ${loadAverage()} at the end: absolute figures drift with whatever else runs; compare ratios`,
    );
    return valid && allStored ? 0 : 1;
  } finally {
    await stopAll();
    if (profileDir) printProfiles(profileDir);
    await cleanUp(context.issuedKeys);
  }
}

/** Written by the service as it exits (`--cpu-prof`): after `stopAll()`. */
function printProfiles(profileDir: string): void {
  const files = readdirSync(profileDir).filter((name) => name.endsWith('.cpuprofile'));
  if (files.length === 0) write(`no CPU profile in ${profileDir}: the service did not exit cleanly`);
  for (const file of files) {
    write(`CPU profile of the service (boot, warm-ups and measurements): ${path.join(profileDir, file)}`);
    write(`  summary: npm run bench:profile -- ${path.join(profileDir, file)}`);
  }
}

async function cleanUp(issuedKeys: readonly string[]): Promise<void> {
  const report = (what: string) => (error: unknown) =>
    process.stderr.write(`could not remove the run's ${what}: ${String(error)}\n`);
  await forgetKeys(issuedKeys).catch(report('idempotency keys'));
  await forgetWebhookJobs().catch(report('webhook jobs'));
  await forgetReferenceKeys().catch(report('reference keys'));
}

process.on('exit', killAll);
process.once('SIGINT', abortLoad);
setTimeout(() => {
  process.stderr.write(`bench: deadline of ${RUN_DEADLINE_MS} ms exceeded, giving up\n`);
  process.exit(1);
}, RUN_DEADLINE_MS).unref();

main(profileDirectory())
  .catch((error: unknown) => {
    process.stderr.write(`bench failed: ${error instanceof Error ? error.message : String(error)}\n`);
    return 1;
  })
  .then(async (code) => {
    await stopAll();
    await dropBenchDatabase().catch((error: unknown) =>
      process.stderr.write(`could not drop ${BENCH_DATABASE_NAME}: ${String(error)}\n`),
    );
    process.exit(code);
  })
  .catch(() => process.exit(1));
