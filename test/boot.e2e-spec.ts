import type { ChildProcess } from 'node:child_process';
import request from 'supertest';
import { dropDatabase, siblingDatabaseUrl } from './support/databases';
import { ServiceProcess, spawnService } from './support/service-process';

function startMain(env: Record<string, string>): ChildProcess {
  return spawnService({ NODE_ENV: 'development', ...env });
}

async function exitOf(child: ChildProcess): Promise<{ code: number | null; stderr: string }> {
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  return { code, stderr };
}

describe('Process boot', () => {
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
    let service: ServiceProcess;

    // Starting waits for /health to answer 200.
    beforeAll(async () => {
      service = await ServiceProcess.start({ NODE_ENV: 'development', DATABASE_URL: databaseUrl });
    }, 60000);
    afterAll(async () => {
      await service?.stop();
      await dropDatabase(databaseUrl);
    });

    it('creates the database, migrates and serves /health and /docs in sandbox mode', async () => {
      expect((await request(service.url).get('/health')).status).toBe(200);
      expect((await request(service.url).get('/docs')).status).toBe(200);
      const ready = await request(service.url).get('/health/ready');
      expect(ready.body.details.database.status).toBe('up');
    });
  });
});
