import request from 'supertest';
import { ProbeController } from './support/probe.controller';
import { createTestApp, TestApp } from './support/test-app';
import { bearer, signToken } from './support/tokens';

describe('Error contract', () => {
  let testApp: TestApp;
  const auth = bearer(signToken());

  beforeAll(async () => {
    testApp = await createTestApp({ metadata: { controllers: [ProbeController] } });
  });
  afterAll(() => testApp.close());

  const echo = () => request(testApp.http).post('/probe/echo').set(auth);

  it('accepts a valid body', async () => {
    const response = await echo().send({ amount: 10, note: 'hi' });
    expect(response.status).toBe(201);
    expect(response.body).toEqual({ received: { amount: 10, note: 'hi' } });
  });

  it('rejects an unknown body field with 400 VALIDATION_FAILED naming the field', async () => {
    const response = await echo().send({ amount: 10, surprise: true });
    expect(response.status).toBe(400);
    expect(response.body.code).toBe('VALIDATION_FAILED');
    expect(response.body.message).toContain('surprise');
    expect(response.body.details.fields).toEqual([{ field: 'surprise', messages: [expect.any(String)] }]);
  });

  it('rejects a bad value with 400 VALIDATION_FAILED naming the field', async () => {
    const response = await echo().send({ amount: 1.5 });
    expect(response.status).toBe(400);
    expect(response.body).toMatchObject({ statusCode: 400, code: 'VALIDATION_FAILED' });
    expect(response.body.details.fields[0].field).toBe('amount');
  });

  it('answers malformed JSON with 400 MALFORMED_JSON', async () => {
    const response = await echo().set('Content-Type', 'application/json').send('{"amount": 1,');
    expect(response.status).toBe(400);
    expect(response.body).toEqual({ statusCode: 400, code: 'MALFORMED_JSON', message: expect.any(String) });
    expect(response.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('answers an oversized body with 413 PAYLOAD_TOO_LARGE', async () => {
    const response = await echo().send({ amount: 1, note: 'x'.repeat(200 * 1024) });
    expect(response.status).toBe(413);
    expect(response.body.code).toBe('PAYLOAD_TOO_LARGE');
    expect(response.headers['x-request-id']).toBeDefined();
  });

  it('answers an unknown route with a JSON 404', async () => {
    const response = await request(testApp.http).get('/nowhere').set(auth);
    expect(response.status).toBe(404);
    expect(response.body.code).toBe('ROUTE_NOT_FOUND');
  });

  it('turns an unexpected error into a 500 without internals', async () => {
    const response = await request(testApp.http).get('/probe/boom').set(auth);
    expect(response.status).toBe(500);
    expect(response.body).toEqual({
      statusCode: 500,
      code: 'INTERNAL_ERROR',
      message: 'Internal server error',
    });
    expect(response.text).not.toMatch(/hunter2|SELECT|at .*\.ts/);
  });
});
