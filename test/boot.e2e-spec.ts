import { ChildProcess, spawn } from 'node:child_process';
import path from 'node:path';
import request from 'supertest';
import { dropDatabase, siblingDatabaseUrl } from './support/databases';
import { freePort } from './support/redis-server';

const root = path.resolve(__dirname, '..');

function startMain(env: Record<string, string>): ChildProcess {
  const inherited = { ...process.env };
  for (const secret of ['JWT_SECRET', 'STRIPE_SECRET_KEY', 'STRIPE_WEBHOOK_SECRET']) delete inherited[secret];
  return spawn(process.execPath, ['-r', 'ts-node/register/transpile-only', 'src/main.ts'], {
    cwd: root,
    env: { ...inherited, NODE_ENV: 'development', LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

async function exitOf(child: ChildProcess): Promise<{ code: number | null; stderr: string }> {
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  return { code, stderr };
}

describe('Process boot (SPEC §1, §9)', () => {
  it('exits non-zero with one line naming PORT when PORT=abc', async () => {
    const { code, stderr } = await exitOf(startMain({ PORT: 'abc' }));
    expect(code).not.toBe(0);
    const lines = stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/\bPORT\b/);
  });

  it('refuses production without its secrets, naming the first missing one', async () => {
    const { code, stderr } = await exitOf(startMain({ NODE_ENV: 'production' }));
    expect(code).not.toBe(0);
    expect(stderr.trim()).toBe('JWT_SECRET is required when NODE_ENV=production');
  });

  it('refuses sandbox mode in production (no STRIPE_SECRET_KEY)', async () => {
    const { code, stderr } = await exitOf(
      startMain({
        NODE_ENV: 'production',
        JWT_SECRET: 'a-production-secret-0123456789',
        STRIPE_WEBHOOK_SECRET: 'whsec_x',
      }),
    );
    expect(code).not.toBe(0);
    expect(stderr.trim()).toBe('STRIPE_SECRET_KEY is required when NODE_ENV=production');
  });

  describe('a development start', () => {
    const databaseUrl = siblingDatabaseUrl('boot');
    let child: ChildProcess;
    let baseUrl: string;

    beforeAll(async () => {
      const port = await freePort();
      baseUrl = `http://127.0.0.1:${port}`;
      child = startMain({ PORT: String(port), DATABASE_URL: databaseUrl });
    });
    afterAll(async () => {
      child.kill('SIGTERM');
      await new Promise((resolve) => (child.exitCode === null ? child.once('exit', resolve) : resolve(null)));
      await dropDatabase(databaseUrl);
    });

    it('creates the database, migrates and serves /health and /docs in sandbox mode', async () => {
      const deadline = Date.now() + 25000;
      let status = 0;
      while (Date.now() < deadline && status !== 200) {
        status = await request(baseUrl)
          .get('/health')
          .then((response) => response.status)
          .catch(() => 0);
        if (status !== 200) await new Promise((resolve) => setTimeout(resolve, 250));
      }
      expect(status).toBe(200);
      expect((await request(baseUrl).get('/docs')).status).toBe(200);
      const ready = await request(baseUrl).get('/health/ready');
      expect(ready.body.details.database.status).toBe('up');
    }, 30000);
  });
});
