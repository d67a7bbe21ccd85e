import { randomUUID } from 'node:crypto';
import { SchedulerRegistry } from '@nestjs/schedule';
import { Client as PgClient } from 'pg';
import Stripe from 'stripe';
import request from 'supertest';
import { countIdempotencyRecords, insertCompletedIdempotencyRecord } from './support/idempotency-rows';
import { ServiceProcess } from './support/service-process';
import { createTestApp, TEST_JWT_SECRET } from './support/test-app';
import { eventually } from './support/time';
import { bearer, signToken } from './support/tokens';

describe('WORKER_MODE', () => {
  describe('scheduled jobs', () => {
    it.each([
      ['all', ['cleanup', 'reconciliation', 'webhooks.sweep']],
      ['worker', ['cleanup', 'reconciliation', 'webhooks.sweep']],
      ['api', []],
    ])('WORKER_MODE=%s schedules %j', async (mode, jobs) => {
      const testApp = await createTestApp({ env: { WORKER_MODE: mode } });
      try {
        const scheduled = testApp.app.get(SchedulerRegistry).getIntervals();
        expect([...scheduled].sort()).toEqual(expect.arrayContaining(jobs));
        if (jobs.length === 0) expect(scheduled).toEqual([]);
      } finally {
        await testApp.close();
      }
    });
  });

  describe('an api process and a worker process side by side', () => {
    let api: ServiceProcess;
    let worker: ServiceProcess;
    let db: PgClient;
    const admin = bearer(signToken({ roles: ['admin'] }));

    beforeAll(async () => {
      const env = {
        DATABASE_URL: process.env.TEST_DATABASE_URL ?? '',
        JWT_SECRET: TEST_JWT_SECRET,
        STRIPE_SECRET_KEY: 'sk_test_worker_mode',
        STRIPE_API_URL: 'http://127.0.0.1:9',
        STRIPE_WEBHOOK_SECRET: 'whsec_worker_mode',
        CLEANUP_INTERVAL_SECONDS: '1',
      };
      [api, worker] = await Promise.all([
        ServiceProcess.start({ ...env, WORKER_MODE: 'api' }),
        ServiceProcess.start({ ...env, WORKER_MODE: 'worker' }),
      ]);
      db = new PgClient({ connectionString: process.env.TEST_DATABASE_URL });
      await db.connect();
    }, 60000);
    afterAll(async () => {
      await Promise.all([api?.stop(), worker?.stop(), db?.end()]);
    });

    it('the worker serves only /health* and /metrics; everything else is a 404', async () => {
      for (const path of ['/health', '/health/ready', '/metrics']) {
        const response = await request(worker.url).get(path);
        expect({ path, status: response.status }).toEqual({ path, status: 200 });
      }
      const refused: Array<[string, string]> = [
        ['GET', '/payments/00000000-0000-0000-0000-000000000000'],
        ['POST', '/payments/process'],
        ['POST', '/webhooks/stripe'],
        ['GET', '/admin/queues'],
        ['GET', '/docs'],
        ['GET', '/healthz'],
      ];
      for (const [method, path] of refused) {
        const response = await request(worker.url)[method === 'GET' ? 'get' : 'post'](path).set(admin);
        expect({ method, path, status: response.status, code: response.body.code as unknown }).toEqual({
          method,
          path,
          status: 404,
          code: 'ROUTE_NOT_FOUND',
        });
      }
    });

    it('the api process serves the API, its docs and the queue board', async () => {
      await expect(request(api.url).get('/docs/')).resolves.toMatchObject({ status: 200 });
      await expect(request(api.url).get('/admin/queues').set(admin)).resolves.toMatchObject({ status: 200 });
      const missing = await request(api.url).get(`/payments/${randomUUID()}`).set(admin);
      expect(missing.status).toBe(404);
      expect(missing.body.code).not.toBe('ROUTE_NOT_FOUND');
    });

    it('a webhook acknowledged by the api process is processed by the worker process', async () => {
      const eventId = `evt_${randomUUID().replace(/-/g, '')}`;
      const payload = JSON.stringify({
        id: eventId,
        object: 'event',
        type: 'payment_intent.succeeded',
        api_version: '2024-06-20',
        created: Math.floor(Date.now() / 1000),
        livemode: false,
        data: { object: { id: `pi_not_ours_${eventId}`, object: 'payment_intent', status: 'succeeded' } },
      });
      const signature = Stripe.webhooks.generateTestHeaderString({ payload, secret: 'whsec_worker_mode' });

      const acknowledged = await request(api.url)
        .post('/webhooks/stripe')
        .set({ 'Content-Type': 'application/json', 'Stripe-Signature': signature })
        .send(payload);

      expect(acknowledged.status).toBe(200);
      expect(acknowledged.body).toEqual({ received: true });
      // Only the worker has a processor: a PaymentIntent that is not ours ends `ignored` there.
      await eventually(async () => {
        const { rows } = await db.query<{ status: string }>(
          'SELECT status FROM webhook_inbox WHERE event_id = $1',
          [eventId],
        );
        expect(rows[0]?.status).toBe('ignored');
      }, 15000);
    }, 20000);

    it('the worker runs the scheduled cleanup', async () => {
      const tenantId = randomUUID();
      await insertCompletedIdempotencyRecord(db, tenantId, -60);
      await insertCompletedIdempotencyRecord(db, tenantId, 3600);
      await eventually(async () => expect(await countIdempotencyRecords(db, tenantId)).toBe(1), 15000);
    }, 20000);
  });
});
