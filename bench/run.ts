import { randomUUID } from 'node:crypto';
import jwt from 'jsonwebtoken';
import { BENCH_DATABASE_NAME, BENCH_JWT_SECRET } from './bench-protocol';
import { prepare } from './checks';
import { dropBenchDatabase, forgetKeys } from './cleanup';
import { abortLoad, Load, measure, Measurement } from './load';
import { loadAverage, printMachine, printRatios, printTable, printValidity, versions, write } from './report';
import { Context, SCENARIOS, TENANT_ID, USER_ID } from './scenarios';
import { killServer, startServer, stopServer } from './server-process';

/**
 * `npm run bench`: the cost of `@Idempotent()` on a trivial POST, measured against the same
 * route without it. The real application runs in a child process (bench-app.ts, started by
 * server-process.ts); this process only generates load (load.ts) and checks every answer
 * (checks.ts), then prints the figures (report.ts).
 */

const WARMUP: Load = { connections: 10, seconds: 2 };
const THROUGHPUT: Load = { connections: 10, seconds: 8 };
const LATENCY: Load = { connections: 1, seconds: 5 };

/** Whatever happens, the run ends (and the server with it) after this. */
const RUN_DEADLINE_MS = 150_000;

async function main(): Promise<number> {
  write('payment-service benchmark: @Idempotent() vs the same route without it');
  printMachine();
  write(await versions());

  await dropBenchDatabase(); // a fresh, empty table for every run
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
    if (!printValidity([...warmups, ...measurements])) return 1;
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
