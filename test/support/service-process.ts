import { ChildProcess, spawn } from 'node:child_process';
import path from 'node:path';
import request from 'supertest';
import { freePort } from './redis-server';
import { sleep } from './time';

const root = path.resolve(__dirname, '../..');

/** Never passed on from the environment the tests run in: a test states the secrets it means. */
const INHERITED_SECRETS = ['JWT_SECRET', 'STRIPE_SECRET_KEY', 'STRIPE_WEBHOOK_SECRET'];

/**
 * `src/main.ts` as its own OS process, as deployments run it, configured by `env` over the
 * defaults `NODE_ENV=test`, `LOG_LEVEL=warn`. Its stderr is piped for the caller to read.
 */
export function spawnService(
  env: Record<string, string>,
  options: { captureStdout?: boolean } = {},
): ChildProcess {
  const inherited = { ...process.env };
  for (const secret of INHERITED_SECRETS) delete inherited[secret];
  return spawn(process.execPath, ['-r', 'ts-node/register/transpile-only', 'src/main.ts'], {
    cwd: root,
    env: { ...inherited, NODE_ENV: 'test', LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', options.captureStdout ? 'pipe' : 'ignore', 'pipe'],
  });
}

/** A service process on a free port, started and answering `/health`. */
export class ServiceProcess {
  private captured = '';

  private constructor(
    private readonly child: ChildProcess,
    readonly url: string,
  ) {
    // Both streams are always drained (a full pipe would block the service) and kept, so a
    // test can read what the service logged.
    for (const stream of [child.stdout, child.stderr]) {
      stream?.on('data', (chunk: Buffer) => (this.captured += chunk.toString()));
    }
  }

  /** Everything the service wrote to stdout and stderr so far (its log lines). */
  get output(): string {
    return this.captured;
  }

  static async start(env: Record<string, string>): Promise<ServiceProcess> {
    const port = await freePort();
    const child = spawnService({ ...env, PORT: String(port) }, { captureStdout: true });
    const service = new ServiceProcess(child, `http://127.0.0.1:${port}`);
    const deadline = Date.now() + 30000;
    while (Date.now() < deadline) {
      if (child.exitCode !== null) throw new Error(`service exited early: ${service.output}`);
      const status = await request(service.url)
        .get('/health')
        .then((response) => response.status)
        .catch(() => 0);
      if (status === 200) return service;
      await sleep(200);
    }
    await service.stop();
    throw new Error('service did not become healthy in time');
  }

  async stop(signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    const exited = new Promise((resolve) => this.child.once('exit', resolve));
    this.child.kill(signal);
    await exited;
  }

  /** A crash: no shutdown hooks, no lock released, no response sent. */
  crash(): Promise<void> {
    return this.stop('SIGKILL');
  }
}
