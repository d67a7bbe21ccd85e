import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { load } from 'js-yaml';
import request from 'supertest';
import { DataSource } from 'typeorm';
import { HTTP_RESPONSES } from '../src/metrics/http-responses.metrics';
import { OLDEST_UNSETTLED_REFUND_AGE } from '../src/refunds/refunds.metrics';
import { WebhookInboxService } from '../src/webhooks/webhook-inbox.service';
import {
  WEBHOOK_DEAD_LETTERS,
  WEBHOOK_INBOX_EVENTS,
  WEBHOOK_OLDEST_PENDING_AGE,
} from '../src/webhooks/webhook-inbox.metrics';
import { readCounter } from './support/metrics';
import { createTestApp, TestApp } from './support/test-app';
import { bearer, signToken } from './support/tokens';

describe('Operators’ gauges and alert rules', () => {
  let app: TestApp;
  let db: DataSource;

  beforeAll(async () => {
    // No worker: the rows this test writes stay as written.
    app = await createTestApp({ env: { STRIPE_WEBHOOK_SECRET: 'whsec_e2e', WORKER_MODE: 'api' } });
    db = app.app.get(DataSource);
  });
  afterAll(() => app.close());

  /** Gauges are read from the whole database, which other suites share: tests compare before and after. */
  const gauge = (name: string, labels: Record<string, string> = {}) => readCounter(app.http, name, labels);

  it('count inbox rows by status and dead letters, and age the oldest unsettled event, at scrape time', async () => {
    const before = {
      pending: await gauge(WEBHOOK_INBOX_EVENTS, { status: 'pending' }),
      failed: await gauge(WEBHOOK_INBOX_EVENTS, { status: 'failed' }),
      dead: await gauge(WEBHOOK_DEAD_LETTERS),
    };
    const ids = Array.from({ length: 5 }, () => `evt_gauge_${randomUUID()}`);
    const statuses = ['pending', 'pending', 'failed', 'dead', 'dead'];
    await db.query(
      `INSERT INTO webhook_inbox (event_id, type, payload, status, received_at)
       SELECT id, 'test.gauge', '{}', status, now() - interval '2 hours'
       FROM unnest($1::varchar[], $2::varchar[]) AS row (id, status)`,
      [ids, statuses],
    );
    try {
      expect(await gauge(WEBHOOK_INBOX_EVENTS, { status: 'pending' })).toBe(before.pending + 2);
      expect(await gauge(WEBHOOK_INBOX_EVENTS, { status: 'failed' })).toBe(before.failed + 1);
      expect(await gauge(WEBHOOK_INBOX_EVENTS, { status: 'dead' })).toBe(before.dead + 2);
      expect(await gauge(WEBHOOK_DEAD_LETTERS)).toBe(before.dead + 2);
      expect(await gauge(WEBHOOK_OLDEST_PENDING_AGE)).toBeGreaterThanOrEqual(7200);
    } finally {
      await db.query('DELETE FROM webhook_inbox WHERE event_id = ANY($1)', [ids]);
    }
  });

  it('age the oldest refund Stripe has not settled', async () => {
    const paymentId = randomUUID();
    const tenantId = randomUUID();
    await db.query(
      `INSERT INTO payment_transactions (id, tenant_id, user_id, idempotency_key, request_hash, kind, status, amount, currency)
       VALUES ($1, $2, 'user-1', $3, $4, 'payment', 'succeeded', 1000, 'usd')`,
      [paymentId, tenantId, randomUUID(), 'a'.repeat(64)],
    );
    await db.query(
      `INSERT INTO refunds (id, tenant_id, user_id, idempotency_key, request_hash, payment_id, amount, currency, status, created_at)
       VALUES ($1, $2, 'user-1', $3, $4, $5, 100, 'usd', 'pending', now() - interval '3 hours')`,
      [randomUUID(), tenantId, randomUUID(), 'b'.repeat(64), paymentId],
    );
    try {
      expect(await gauge(OLDEST_UNSETTLED_REFUND_AGE)).toBeGreaterThanOrEqual(3 * 3600);
    } finally {
      await db.query('DELETE FROM refunds WHERE payment_id = $1', [paymentId]);
      await db.query('DELETE FROM payment_transactions WHERE id = $1', [paymentId]);
    }
  });

  it('count responses by status class, 5xx included', async () => {
    const series = (statusClass: string) =>
      readCounter(app.http, HTTP_RESPONSES, { status_class: statusClass });
    const before = { ok: await series('2xx'), missing: await series('4xx'), failed: await series('5xx') };
    const admin = bearer(signToken({ roles: ['admin'] }));
    jest.spyOn(WebhookInboxService.prototype, 'list').mockRejectedValueOnce(new Error('the inbox broke'));
    try {
      expect((await request(app.http).get('/admin/webhooks').set(admin)).status).toBe(500);
    } finally {
      jest.restoreAllMocks();
    }
    expect((await request(app.http).get('/admin/webhooks').set(admin)).status).toBe(200);
    expect((await request(app.http).get('/no/such/route')).status).toBe(404);
    expect(await series('5xx')).toBe(before.failed + 1);
    expect(await series('2xx')).toBe(before.ok + 1);
    expect(await series('4xx')).toBe(before.missing + 1);
  });

  it('keeps /metrics answering while PostgreSQL cannot be read: the gauges say they do not know', async () => {
    jest.spyOn(WebhookInboxService.prototype, 'backlog').mockRejectedValue(new Error('connect ECONNREFUSED'));
    try {
      const response = await request(app.http).get('/metrics');
      expect(response.status).toBe(200);
      // prom-client writes NaN as `Nan`, which Prometheus reads as NaN.
      expect(response.text).toMatch(new RegExp(`^${WEBHOOK_DEAD_LETTERS} NaN$`, 'mi'));
      expect(response.text).not.toMatch(new RegExp(`^${WEBHOOK_INBOX_EVENTS}\\{`, 'm'));
    } finally {
      jest.restoreAllMocks();
    }
  });

  describe('docs/alerts.yml', () => {
    interface Rule {
      alert: string;
      expr: string;
    }
    const rules = (
      load(readFileSync(path.join(__dirname, '../docs/alerts.yml'), 'utf8')) as {
        groups: Array<{ rules: Rule[] }>;
      }
    ).groups.flatMap((group) => group.rules);

    /** The series names an expression selects: identifiers that are not functions, keywords or labels. */
    const metricsIn = (expr: string): string[] => {
      const bare = expr.replace(/\{[^}]*\}/g, '').replace(/\[[^\]]*\]/g, '');
      const keywords = new Set([
        'by',
        'without',
        'on',
        'ignoring',
        'group_left',
        'group_right',
        'and',
        'or',
        'unless',
        'bool',
        'offset',
      ]);
      return [...bare.matchAll(/\b([a-zA-Z_:][a-zA-Z0-9_:]*)\b(?!\s*\()/g)]
        .map((match) => match[1])
        .filter((name) => !keywords.has(name));
    };

    it('alerts on the inbox, the dead letters, the 5xx rate and the oldest unsettled refund', () => {
      const named = new Set(rules.flatMap((rule) => metricsIn(rule.expr)));
      for (const metric of [
        WEBHOOK_INBOX_EVENTS,
        WEBHOOK_OLDEST_PENDING_AGE,
        WEBHOOK_DEAD_LETTERS,
        HTTP_RESPONSES,
        OLDEST_UNSETTLED_REFUND_AGE,
      ]) {
        expect(named).toContain(metric);
      }
    });

    it('names only metrics the service exposes, in every rule', async () => {
      const exposed = new Set(
        [...(await request(app.http).get('/metrics')).text.matchAll(/^# TYPE (\S+) /gm)].map(
          (match) => match[1],
        ),
      );
      for (const rule of rules) {
        const names = metricsIn(rule.expr);
        expect({ alert: rule.alert, names: names.length > 0 }).toEqual({ alert: rule.alert, names: true });
        for (const name of names)
          expect({ alert: rule.alert, name, exposed: exposed.has(name) }).toMatchObject({ exposed: true });
      }
    });
  });
});
