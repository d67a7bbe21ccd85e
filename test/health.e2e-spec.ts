import request from 'supertest';
import { createTestApp, TestApp } from './support/test-app';
import { DisposableRedis } from './support/redis-server';
import { eventually } from './support/time';

describe('Health, readiness and docs', () => {
  let redis: DisposableRedis;
  let testApp: TestApp;

  beforeAll(async () => {
    redis = await DisposableRedis.start();
    testApp = await createTestApp({ env: { REDIS_URL: redis.url } });
  });
  afterAll(async () => {
    await testApp.close();
    await redis.stop();
  });

  it('answers liveness without a token', async () => {
    const response = await request(testApp.http).get('/health');
    expect(response.status).toBe(200);
    expect(response.body.status).toBe('ok');
  });

  it('reports database and redis up when both are reachable', async () => {
    const response = await request(testApp.http).get('/health/ready');
    expect(response.status).toBe(200);
    expect(response.body.details).toMatchObject({ database: { status: 'up' }, redis: { status: 'up' } });
  });

  it('reports redis degraded, still 200, while Redis is stopped, and up again once it is back', async () => {
    await redis.stop();
    await eventually(async () => {
      const response = await request(testApp.http).get('/health/ready');
      expect(response.status).toBe(200);
      expect(response.body.status).toBe('degraded');
      expect(response.body.details).toMatchObject({
        database: { status: 'up' },
        redis: { status: 'degraded' },
      });
    });

    await redis.start();
    await eventually(async () => {
      const response = await request(testApp.http).get('/health/ready');
      expect(response.body.details.redis.status).toBe('up');
    });
  });

  it('serves the OpenAPI UI and document', async () => {
    const ui = await request(testApp.http).get('/docs');
    expect(ui.status).toBe(200);
    expect(ui.text).toContain('swagger');
    const document = await request(testApp.http).get('/docs-json');
    expect(document.status).toBe(200);
    expect(Object.keys(document.body.paths)).toEqual(
      expect.arrayContaining([
        '/health',
        '/health/ready',
        '/payments/process',
        '/payments/fees',
        '/payments/{id}',
        '/intents',
        '/refunds',
      ]),
    );
    const parameters = document.body.paths['/payments/process'].post.parameters as Array<{
      name: string;
      required: boolean;
    }>;
    expect(parameters).toEqual(
      expect.arrayContaining([expect.objectContaining({ name: 'Idempotency-Key', required: true })]),
    );
  });
});

describe('Booting while Redis is down', () => {
  it('starts and serves, with redis reported degraded', async () => {
    const redis = await DisposableRedis.start();
    await redis.stop();
    const testApp = await createTestApp({ env: { REDIS_URL: redis.url } });
    try {
      const response = await request(testApp.http).get('/health/ready');
      expect(response.status).toBe(200);
      expect(response.body.details.redis.status).toBe('degraded');
    } finally {
      await testApp.close();
    }
  });
});
