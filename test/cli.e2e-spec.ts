import { randomUUID } from 'node:crypto';
import { Client as PgClient } from 'pg';
import { runCli } from './support/cli-process';
import { countIdempotencyRecords, insertCompletedIdempotencyRecord } from './support/idempotency-rows';

describe('npm run cli', () => {
  let db: PgClient;

  beforeAll(async () => {
    db = new PgClient({ connectionString: process.env.TEST_DATABASE_URL });
    await db.connect();
    // The CLI migrates a fresh database as the service does at boot.
    const first = await runCli(['cleanup']);
    expect(first.stderr).toBe('');
  }, 60000);
  afterAll(async () => {
    await db.end();
  });

  it('lists every command with --help, without touching the database', async () => {
    const result = await runCli(['--help'], { DATABASE_URL: 'postgres://nobody@127.0.0.1:1/none' });
    expect(result.code).toBe(0);
    for (const command of ['cleanup', 'reconcile']) expect(result.stdout).toContain(command);
  });

  it('cleanup deletes expired idempotency records only, in batches, and prints the counts', async () => {
    const tenantId = randomUUID();
    for (let i = 0; i < 5; i += 1) await insertCompletedIdempotencyRecord(db, tenantId, -3600);
    await insertCompletedIdempotencyRecord(db, tenantId, 3600);

    const result = await runCli(['cleanup', '--batch-size', '2']);

    expect(result).toMatchObject({ code: 0, stderr: '' });
    expect(result.stdout).toMatch(/^payment_idempotency: \d+ expired record\(s\) deleted$/m);
    expect(result.stdout).toMatch(
      /^webhook_inbox: \d+ processed\/ignored event\(s\) older than 30 day\(s\) deleted$/m,
    );
    const deleted = Number(/payment_idempotency: (\d+)/.exec(result.stdout)?.[1]);
    expect(deleted).toBeGreaterThanOrEqual(5);
    await expect(countIdempotencyRecords(db, tenantId)).resolves.toBe(1);
  });

  it('runs twice at once without harm: each exits 0, every expired record is gone, the live one stays', async () => {
    const tenantId = randomUUID();
    for (let i = 0; i < 20; i += 1) await insertCompletedIdempotencyRecord(db, tenantId, -60);
    await insertCompletedIdempotencyRecord(db, tenantId, 3600);

    const results = await Promise.all([
      runCli(['cleanup', '--batch-size', '3']),
      runCli(['cleanup', '--batch-size', '3']),
    ]);

    for (const result of results) expect(result).toMatchObject({ code: 0, stderr: '' });
    // One ran; the other either ran after it or stood aside while the first held the job's lock.
    expect(results.some((result) => result.stdout.includes('payment_idempotency:'))).toBe(true);
    await expect(countIdempotencyRecords(db, tenantId)).resolves.toBe(1);
  });

  it('fails with exit code 1 and one line for a bad option, an unknown command or a sandbox reconcile', async () => {
    const cases = [
      { args: ['cleanup', '--batch-size', '0'], line: '--batch-size must be a positive integer (got "0")' },
      {
        args: ['cleanup', '--retention-days', 'soon'],
        line: '--retention-days must be a positive integer (got "soon")',
      },
      { args: ['nope'], line: "error: unknown command 'nope'" },
      {
        args: ['reconcile'],
        line: expect.stringMatching(
          /^reconcile needs Stripe: set STRIPE_SECRET_KEY or STRIPE_API_URL/,
        ) as string,
      },
    ];
    for (const { args, line } of cases) {
      const result = await runCli(args);
      expect({ args, code: result.code, lines: result.stderr.trimEnd().split('\n') }).toEqual({
        args,
        code: 1,
        lines: [line],
      });
    }
  });

  it('fails with exit code 1 and one line when the database is unreachable', async () => {
    const result = await runCli(['cleanup'], { DATABASE_URL: 'postgres://postgres@127.0.0.1:1/none' });
    expect(result.code).toBe(1);
    expect(result.stderr.trimEnd().split('\n').at(-1)).toMatch(/^error: /);
  }, 60000);
});
