import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import ts from 'typescript';
import {
  BENCH_DATABASE_URL,
  BENCH_JWT_SECRET,
  BENCH_REDIS_URL,
  BENCH_STRIPE_SECRET_KEY,
  BENCH_WEBHOOK_SECRET,
  REFERENCE_REDIS_PREFIX,
} from './bench-protocol';
import { BenchProcess, freePort } from './processes';
import { write } from './report';

/**
 * The three processes of a run and how each is configured: the compiled Stripe emulator, the
 * service as production builds and configures it, and the framework-free reference server.
 */

const ROOT = path.join(__dirname, '..');
const SERVICE_MAIN = path.join(ROOT, 'dist/src/main.js');
const EMULATOR_MAIN = path.join(ROOT, 'dist/packages/stripe-emulator/src/stripe-emulator.main.js');
const REFERENCE_SOURCE = path.join(__dirname, 'reference-server.ts');
/** Beside the service's build, so `require` finds the same node_modules; `nest build` wipes it. */
const REFERENCE_MAIN = path.join(ROOT, 'dist/bench/reference-server.js');

/**
 * The Node flags production runs the service with: those of `npm run start:prod`
 * (`node <flags> dist/src/main.js`), read from package.json so the two cannot drift. The
 * reference server gets them too, so the comparison is of code, not of runtime settings.
 */
const PRODUCTION_NODE_OPTIONS = productionNodeOptions();

function productionNodeOptions(): string[] {
  const scripts = (
    JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as {
      scripts: Record<string, string>;
    }
  ).scripts;
  const words = scripts['start:prod'].split(/\s+/);
  if (words[0] !== 'node' || words.at(-1) !== 'dist/src/main.js')
    throw new Error(`start:prod is not "node [flags] dist/src/main.js": ${scripts['start:prod']}`);
  return words.slice(1, -1);
}

export interface Servers {
  ports: Ports;
  service: BenchProcess;
  reference: BenchProcess;
}

export interface Ports {
  emulator: number;
  service: number;
  reference: number;
}

function startEmulator(ports: Ports, onUnexpectedExit: () => void): Promise<BenchProcess> {
  return BenchProcess.start(
    {
      name: 'stripe emulator',
      script: EMULATOR_MAIN,
      args: ['--port', String(ports.emulator), '--host', '127.0.0.1'],
      env: { PATH: process.env.PATH },
      readiness: { url: `http://127.0.0.1:${ports.emulator}/`, anyStatus: true },
    },
    onUnexpectedExit,
  );
}

/** The service configured as production is, through env only; `profileDir` adds `--cpu-prof`. */
function startService(
  ports: Ports,
  profileDir: string | undefined,
  onUnexpectedExit: () => void,
): Promise<BenchProcess> {
  return BenchProcess.start(
    {
      name: 'service',
      script: SERVICE_MAIN,
      nodeOptions: [
        ...PRODUCTION_NODE_OPTIONS,
        ...(profileDir ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] : []),
      ],
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
        // The subscribed tenant's endpoint is on this machine; it is saved, never called.
        OUTGOING_WEBHOOKS_ALLOW_PRIVATE_URLS: 'true',
      },
      readiness: { url: `http://127.0.0.1:${ports.service}/health` },
    },
    onUnexpectedExit,
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

function startReference(ports: Ports, onUnexpectedExit: () => void): Promise<BenchProcess> {
  compileReference();
  return BenchProcess.start(
    {
      name: 'reference server',
      script: REFERENCE_MAIN,
      nodeOptions: PRODUCTION_NODE_OPTIONS,
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
    onUnexpectedExit,
  );
}

/**
 * Starts the three processes, each once the one it needs answers; `onUnexpectedExit` if any
 * dies later. `profileDir` runs the service with `--cpu-prof`.
 */
export async function startServers(
  profileDir: string | undefined,
  onUnexpectedExit: () => void,
): Promise<Servers> {
  for (const main of [SERVICE_MAIN, EMULATOR_MAIN]) {
    if (!existsSync(main)) throw new Error(`${main} is missing: npm run bench builds it (nest build) first`);
  }
  const ports: Ports = { emulator: await freePort(), service: await freePort(), reference: await freePort() };
  const started = Date.now();
  await startEmulator(ports, onUnexpectedExit);
  // The service creates and migrates the bench database; the reference adds its tables to it.
  const service = await startService(ports, profileDir, onUnexpectedExit);
  const reference = await startReference(ports, onUnexpectedExit);
  write(
    `processes: Stripe emulator (compiled) on :${ports.emulator}; service \`${['node', ...PRODUCTION_NODE_OPTIONS, 'dist/src/main.js'].join(' ')}\` (start:prod's flags) on :${ports.service} ` +
      `(NODE_ENV=production, LOG_LEVEL default info with stdout discarded, rate limiting on, WORKER_MODE=api: webhook ` +
      `events are stored and enqueued, not processed, so no processing competes); reference server (the same flags) on :${ports.reference}; ` +
      `all ready in ${Date.now() - started} ms`,
  );
  return { ports, service, reference };
}
