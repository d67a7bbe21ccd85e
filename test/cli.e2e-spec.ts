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
    for (const command of ['cleanup', 'reconcile', 'webhooks:replay'])
      expect(result.stdout).toContain(command);
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

  async function insertInboxRow(status: string, finishedDaysAgo: number): Promise<string> {
    const eventId = `evt_cli_${randomUUID().replace(/-/g, '')}`;
    await db.query(
      `INSERT INTO webhook_inbox (event_id, type, payload, status, received_at, processed_at)
       VALUES ($1, 'payment_intent.succeeded', '{}'::jsonb, $2,
               now() - make_interval(days => $3), now() - make_interval(days => $3))`,
      [eventId, status, finishedDaysAgo],
    );
    return eventId;
  }

  async function inboxStatuses(eventIds: string[]): Promise<Record<string, string>> {
    const { rows } = await db.query<{ event_id: string; status: string }>(
      'SELECT event_id, status FROM webhook_inbox WHERE event_id = ANY($1)',
      [eventIds],
    );
    return Object.fromEntries(rows.map((row) => [row.event_id, row.status]));
  }

  it('cleanup deletes processed/ignored inbox rows past the retention, and nothing else', async () => {
    const old = [await insertInboxRow('processed', 40), await insertInboxRow('ignored', 31)];
    const kept = [
      await insertInboxRow('processed', 29),
      await insertInboxRow('dead', 40),
      await insertInboxRow('failed', 40),
      await insertInboxRow('pending', 40),
    ];

    const result = await runCli(['cleanup']);

    expect(result).toMatchObject({ code: 0, stderr: '' });
    expect(Number(/webhook_inbox: (\d+)/.exec(result.stdout)?.[1])).toBeGreaterThanOrEqual(2);
    expect(Object.keys(await inboxStatuses([...old, ...kept])).sort()).toEqual([...kept].sort());

    const shorter = await runCli(['cleanup', '--retention-days', '7']);
    expect(shorter.stdout).toContain('older than 7 day(s)');
    expect(Object.keys(await inboxStatuses(kept)).sort()).toEqual(kept.slice(1).sort());
  }, 30000);

  it('webhooks:replay re-queues one event, or every dead one with --dead', async () => {
    const one = await insertInboxRow('dead', 1);
    const replayed = await runCli(['webhooks:replay', one]);
    expect(replayed).toMatchObject({ code: 0, stderr: '', stdout: `webhook_inbox: ${one} queued again\n` });
    await expect(inboxStatuses([one])).resolves.toEqual({ [one]: 'pending' });

    const dead = [await insertInboxRow('dead', 1), await insertInboxRow('dead', 2)];
    const all = await runCli(['webhooks:replay', '--dead']);
    expect(all).toMatchObject({ code: 0, stderr: '' });
    expect(Number(/(\d+) dead event\(s\) queued again/.exec(all.stdout)?.[1])).toBeGreaterThanOrEqual(2);
    await expect(inboxStatuses(dead)).resolves.toEqual({ [dead[0]]: 'pending', [dead[1]]: 'pending' });

    const missing = await runCli(['webhooks:replay', 'evt_missing']);
    expect({ code: missing.code, stderr: missing.stderr }).toEqual({
      code: 1,
      stderr: 'webhooks:replay: no event evt_missing in the inbox\n',
    });
  }, 30000);

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
