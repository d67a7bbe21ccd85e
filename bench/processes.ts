import { ChildProcess, fork } from 'node:child_process';
import { createServer } from 'node:net';
import path from 'node:path';
import { CpuUsageRequest, isCpuUsageReply } from './bench-protocol';

/**
 * The processes under load, each in its own process: the Stripe emulator, the service and the
 * reference server. Each is forked with `cpu-usage.preload.cjs`, which reports its CPU over IPC
 * and ends it when the bench goes away. stdout is discarded (the service logs every request at
 * `info`, as in production); the tail of stderr is kept to explain a failed boot.
 */

const BOOT_TIMEOUT_MS = 60_000;
const STOP_TIMEOUT_MS = 10_000;
const CPU_USAGE_TIMEOUT_MS = 5_000;
const STDERR_TAIL_CHARS = 4_000;
const PRELOAD = path.join(__dirname, 'cpu-usage.preload.cjs');

export interface ProcessSpec {
  name: string;
  script: string;
  args?: string[];
  /** Node options before the preload, e.g. `--cpu-prof`. */
  nodeOptions?: string[];
  env: NodeJS.ProcessEnv;
  /** Polled until it answers; `anyStatus` when any HTTP answer means the process listens. */
  readiness: { url: string; anyStatus?: boolean };
}

const started: BenchProcess[] = [];

export class BenchProcess {
  private stderrTail = '';
  private stopping = false;

  private constructor(
    readonly name: string,
    private readonly child: ChildProcess,
  ) {
    child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
      this.stderrTail = (this.stderrTail + chunk).slice(-STDERR_TAIL_CHARS);
    });
  }

  /** Starts the process and resolves once it answers HTTP; `onUnexpectedExit` if it dies later. */
  static async start(spec: ProcessSpec, onUnexpectedExit: () => void): Promise<BenchProcess> {
    const child = fork(spec.script, spec.args ?? [], {
      execArgv: [...(spec.nodeOptions ?? []), '--require', PRELOAD],
      env: spec.env,
      stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
    });
    const instance = new BenchProcess(spec.name, child);
    started.push(instance);
    await instance.waitUntilReady(spec.readiness);
    child.once('exit', (code, signal) => {
      if (instance.stopping) return;
      process.stderr.write(
        `bench: ${spec.name} exited unexpectedly (code ${code}, signal ${signal})\n${instance.stderrTail}\n`,
      );
      onUnexpectedExit();
    });
    return instance;
  }

  private async waitUntilReady({ url, anyStatus }: ProcessSpec['readiness']): Promise<void> {
    const deadline = Date.now() + BOOT_TIMEOUT_MS;
    while (Date.now() < deadline) {
      if (!this.alive())
        throw this.bootFailure(`exited (code ${this.child.exitCode}, signal ${this.child.signalCode})`);
      const response = await fetch(url, { signal: AbortSignal.timeout(1000) }).catch(() => undefined);
      if (response && (anyStatus || response.ok)) return;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    throw this.bootFailure(`did not answer ${url} within ${BOOT_TIMEOUT_MS} ms`);
  }

  private bootFailure(what: string): Error {
    return new Error(`${this.name} ${what}; the end of its stderr:\n${this.stderrTail || '(empty)'}`);
  }

  alive(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  /** The process's own `process.cpuUsage()`, asked over IPC. */
  cpuUsage(): Promise<NodeJS.CpuUsage> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(
        () => finish(() => reject(new Error(`${this.name} did not report its CPU`))),
        CPU_USAGE_TIMEOUT_MS,
      );
      const onMessage = (message: unknown): void => {
        if (isCpuUsageReply(message)) finish(() => resolve(message.usage));
      };
      const finish = (settle: () => void): void => {
        clearTimeout(timer);
        this.child.off('message', onMessage);
        settle();
      };
      this.child.on('message', onMessage);
      const request: CpuUsageRequest = { type: 'cpu-usage?' };
      this.child.send(request);
    });
  }

  /** SIGTERM, as a deployment stops it; SIGKILL if it has not exited within STOP_TIMEOUT_MS. */
  async stop(): Promise<void> {
    this.stopping = true;
    if (!this.alive()) return;
    const exited = new Promise<void>((resolve) => this.child.once('exit', () => resolve()));
    this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), STOP_TIMEOUT_MS);
    await exited;
    clearTimeout(timer);
  }

  kill(): void {
    this.stopping = true;
    if (this.alive()) this.child.kill('SIGKILL');
  }
}

/** Stops every process started, the last started first (the service before the emulator it calls). */
export async function stopAll(): Promise<void> {
  for (const each of [...started].reverse()) await each.stop();
}

/** For a synchronous `exit` handler: no process outlives the run, however it ends. */
export function killAll(): void {
  for (const each of started) each.kill();
}

/** A port free on the loopback interface right now, for a process to listen on. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}
