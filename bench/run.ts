import { randomUUID } from 'node:crypto';
import jwt from 'jsonwebtoken';
import { BENCH_DATABASE_NAME, BENCH_JWT_SECRET } from './bench-protocol';
import { countStoredEvents, prepare } from './checks';
import { dropBenchDatabase, forgetKeys, forgetWebhookJobs } from './cleanup';
import { abortLoad, Load, measure, Measurement } from './load';
import {
  loadAverage,
  printMachine,
  printRatios,
  printStoredEvents,
  printTable,
  printValidity,
  versions,
  write,
} from './report';
import { Context, SCENARIOS, ScenarioName, TENANT_ID, USER_ID } from './scenarios';
import { killServer, startServer, stopServer } from './server-process';

/**
 * `npm run bench`: the cost of `@Idempotent()` on a trivial POST, measured against the same
 * route without it, and how fast signed Stripe events are acknowledged. The real application runs in a child process (bench-app.ts, started by
 * server-process.ts); this process only generates load (load.ts) and checks every answer
 * (checks.ts), then prints the figures (report.ts).
 */

const WARMUP: Load = { connections: 10, seconds: 2 };
const THROUGHPUT: Load = { connections: 10, seconds: 8 };
const LATENCY: Load = { connections: 1, seconds: 5 };
/** Stripe delivers many events at once: the webhook route is loaded harder. */
const WEBHOOK_WARMUP: Load = { connections: 32, seconds: 2 };
const WEBHOOK_THROUGHPUT: Load = { connections: 32, seconds: 8 };

interface Step {
  scenario: ScenarioName;
  load: Load;
}

function steps(idempotency: Load, webhook: Load | undefined): Step[] {
  const all: Step[] = SCENARIOS.map((scenario) => ({ scenario, load: idempotency }));
  return webhook ? [...all, { scenario: 'webhook', load: webhook }] : all;
}

/** Whatever happens, the run ends (and the server with it) after this. */
const RUN_DEADLINE_MS = 150_000;

async function main(): Promise<number> {
  write('payment-service benchmark: @Idempotent() vs the same route without it; webhook acknowledgement');
  printMachine();
  write(await versions());

  await dropBenchDatabase(); // a fresh, empty table for every run
  await forgetWebhookJobs(); // and an empty queue
  const started = Date.now();
  const port = await startServer(abortLoad);
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
    acknowledgedEvents: [],
  };
  try {
    await prepare(context);
    write(
      `warm-up ${WARMUP.seconds} s per scenario at ${WARMUP.connections} conns; then throughput ` +
        `(${THROUGHPUT.connections} conns, ${THROUGHPUT.seconds} s) and latency (${LATENCY.connections} conn, ${LATENCY.seconds} s) per scenario; ` +
        `webhook at ${WEBHOOK_THROUGHPUT.connections} conns, server with WORKER_MODE=api (events stored and enqueued, not processed)`,
    );
    const warmups: Measurement[] = [];
    for (const { scenario, load } of steps(WARMUP, WEBHOOK_WARMUP))
      warmups.push(await measure('warm-up', scenario, load, context));
    const measurements: Measurement[] = [];
    for (const { scenario, load } of steps(THROUGHPUT, WEBHOOK_THROUGHPUT))
      measurements.push(await measure('throughput', scenario, load, context));
    for (const { scenario, load } of steps(LATENCY, LATENCY))
      measurements.push(await measure('latency', scenario, load, context));
    const stored = await countStoredEvents(context.acknowledgedEvents);

    write();
    printTable(measurements);
    write();
    const valid = printValidity([...warmups, ...measurements]);
    if (!printStoredEvents(context.acknowledgedEvents.length, stored) || !valid) return 1;
    printRatios(measurements);
    write(
      `load average ${loadAverage()} at the end: absolute figures drift with whatever else runs on the machine; compare ratios`,
    );
    return 0;
  } finally {
    await stopServer();
    await forgetKeys(context.issuedKeys).catch((error: unknown) =>
      process.stderr.write(`could not remove the run's Redis keys: ${String(error)}\n`),
    );
    await forgetWebhookJobs().catch((error: unknown) =>
      process.stderr.write(`could not remove the run's webhook jobs: ${String(error)}\n`),
    );
  }
}

process.on('exit', killServer);
process.once('SIGINT', abortLoad);
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
    await dropBenchDatabase().catch((error: unknown) =>
      process.stderr.write(`could not drop ${BENCH_DATABASE_NAME}: ${String(error)}\n`),
    );
    process.exit(code);
  })
  .catch(() => process.exit(1));
