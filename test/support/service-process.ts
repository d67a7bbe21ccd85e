import { ChildProcess, spawn } from 'node:child_process';
import path from 'node:path';
import request from 'supertest';
import { freePort } from './redis-server';
import { sleep } from './time';

const root = path.resolve(__dirname, '../..');

/** The service as its own OS process (`src/main.ts`), as deployments run it. */
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
    const child = spawn(process.execPath, ['-r', 'ts-node/register/transpile-only', 'src/main.ts'], {
      cwd: root,
      env: { ...process.env, NODE_ENV: 'test', LOG_LEVEL: 'warn', ...env, PORT: String(port) },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
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
