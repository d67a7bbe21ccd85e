import { randomUUID } from 'node:crypto';
import { mkdtempSync, readdirSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import jwt from 'jsonwebtoken';
import { BENCH_DATABASE_NAME, BENCH_JWT_SECRET } from './bench-protocol';
import { countStoredEvents, prepare } from './checks';
import { dropBenchDatabase, forgetKeys, forgetReferenceKeys, forgetWebhookJobs } from './cleanup';
import { abortLoad, Load, measure, Measurement } from './load';
import { killAll, stopAll } from './processes';
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
import { Context, ROUTES, RouteName, SUBSCRIBED_TENANT_ID, targetOf, TENANT_ID, USER_ID } from './scenarios';
import { Servers, startServers } from './servers';

/**
 * `npm run bench` (docs/benchmarks.md): the service as production builds and runs it, against
 * the Stripe emulator and a framework-free reference server doing the same durable work, each
 * in its own process. This process only generates load (load.ts), checks every answer
 * (checks.ts), asks each server for its CPU, and prints the figures and targets (report.ts).
 */

/** The targets were set at 32 connections. */
const WARMUP: Load = { connections: 32, seconds: 3 };
const MEASURED: Load = { connections: 32, seconds: 10 };

/** Whatever happens, the run ends (and every process it started with it) after this. */
const RUN_DEADLINE_MS = 170_000;

function bearerToken(tenantId: string): string {
  const now = Math.floor(Date.now() / 1000);
  const claims = { sub: USER_ID, tenant_id: tenantId, iat: now, exp: now + 3600 };
  return `Bearer ${jwt.sign(claims, BENCH_JWT_SECRET, { algorithm: 'HS256' })}`;
}

/** One measured window, with the CPU the answering server spent over it per response. */
async function measureWithCpu(route: RouteName, context: Context, servers: Servers): Promise<RouteFigures> {
  const server = servers[targetOf(route)];
  const before = await server.cpuUsage();
  const measurement = await measure('measured', route, MEASURED, context);
  const spent = await server.cpuUsage();
  const cpuMs = (spent.user - before.user + spent.system - before.system) / 1000;
  return { ...measurement, cpuMsPerRequest: cpuMs / measurement.responses };
}

/** `--only <route>`: runs that route alone, to profile it (`--cpu-prof`); no target is assessed. */
function routesToRun(): readonly RouteName[] {
  const { values } = parseArgs({ options: { only: { type: 'string' }, 'cpu-prof': { type: 'boolean' } } });
  if (values.only === undefined) return ROUTES;
  const route = ROUTES.find((name) => name === values.only);
  if (!route) throw new Error(`--only takes one of: ${ROUTES.join(', ')}`);
  return [route];
}

function profileDirectory(): string | undefined {
  if (!process.argv.includes('--cpu-prof')) return undefined;
  return mkdtempSync(path.join(os.tmpdir(), 'payment-service-profile-'));
}

async function main(profileDir: string | undefined, routes: readonly RouteName[]): Promise<number> {
  write(
    'payment-service benchmark: the real routes, built as in production, against a framework-free reference',
  );
  printMachine();
  write(await versions());

  await dropBenchDatabase(); // a fresh, empty database for every run
  await forgetWebhookJobs(); // and an empty queue
  const servers = await startServers(profileDir, abortLoad);
  const { ports } = servers;
  const context: Context = {
    ports: { service: ports.service, reference: ports.reference },
    authorization: bearerToken(TENANT_ID),
    subscribedAuthorization: bearerToken(SUBSCRIBED_TENANT_ID),
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
    for (const route of routes) warmups.push(await measure('warm-up', route, WARMUP, context));
    const figures: RouteFigures[] = [];
    for (const route of routes) figures.push(await measureWithCpu(route, context, servers));
    const stored = await countStoredEvents(context.acknowledgedEvents);

    write();
    printTable(figures);
    write();
    const valid = printValidity([...warmups, ...figures]);
    const allStored = printStoredEvents(context.acknowledgedEvents.length, stored);
    write();
    if (routes !== ROUTES) write('targets not assessed: --only runs one route');
    else if (valid && allStored) printTargets(figures);
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

main(profileDirectory(), routesToRun())
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
