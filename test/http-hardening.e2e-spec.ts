import http from 'node:http';
import net from 'node:net';
import request from 'supertest';
import { AdminPathProbeController, ProbeController } from './support/probe.controller';
import { rawExchange, RawAnswer } from './support/raw-exchange';
import { createTestApp, TestApp } from './support/test-app';
import { bearer, signToken } from './support/tokens';

/** A GET with the path sent exactly as written (no client-side normalisation). */
function getVerbatim(port: number, path: string, headers: Record<string, string>): Promise<number> {
  return new Promise((resolve, reject) => {
    const outgoing = http.request({ host: '127.0.0.1', port, path, method: 'GET', headers }, (response) => {
      response.resume();
      response.on('end', () => resolve(response.statusCode ?? 0));
    });
    outgoing.on('error', reject);
    outgoing.end();
  });
}

const expectErrorBody = (answer: RawAnswer, status: number) => {
  expect(answer.status).toBe(status);
  expect(answer.headers).toMatch(/content-type: application\/json/i);
  expect(JSON.parse(answer.body)).toEqual({
    statusCode: status,
    code: expect.stringMatching(/^[A-Z][A-Z0-9_]*$/),
    message: expect.any(String),
  });
};

describe('HTTP hardening', () => {
  let testApp: TestApp;
  let port: number;
  const tenantId = '6f1c2b8e-3d4a-4f5b-9c6d-7e8f9a0b1c2d';

  beforeAll(async () => {
    testApp = await createTestApp({
      env: { CORS_ORIGINS: 'https://shop.example.com' },
      metadata: { controllers: [ProbeController, AdminPathProbeController] },
    });
    port = (testApp.http.address() as net.AddressInfo).port;
  });
  afterAll(() => testApp.close());

  describe('admin paths', () => {
    const spellings = [
      '/admin/probe',
      '/ADMIN/probe',
      '/Admin/probe',
      '/admin/PROBE',
      '/admin/probe/',
      '/ADMIN/probe/',
      '//admin/probe',
      '/admin//probe',
      '/./admin/probe',
      '/x/../admin/probe',
      '/%61dmin/probe',
      '/%41DMIN/probe',
      '/admin/%70robe',
      '/%2561dmin/probe',
      '/admin%2Fprobe',
      '/admin/probe?x=1',
      '/admin/probe;x',
      '/probe/admin',
    ];

    it.each(spellings)('never answers %s with a 2xx to a non-admin token', async (path) => {
      const status = await getVerbatim(port, path, bearer(signToken({ tenantId, roles: ['viewer'] })));
      expect(status).not.toBeLessThan(300);
      expect(status).toBeLessThan(500);
    });

    it('still serves an admin token', async () => {
      const headers = bearer(signToken({ tenantId, roles: ['admin'] }));
      await expect(getVerbatim(port, '/admin/probe', headers)).resolves.toBe(200);
      await expect(getVerbatim(port, '/ADMIN/probe/', headers)).resolves.toBe(200);
    });
  });

  describe('errors raised before any route runs', () => {
    it('answers headers over the limit with a JSON 431', async () => {
      const answer = await rawExchange(
        port,
        `GET /health HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20 * 1024)}\r\n\r\n`,
      );
      expectErrorBody(answer, 431);
    });

    it.each([
      ['a malformed request line', 'GET\r\n\r\n'],
      ['an HTTP version that does not exist', 'GET /health HTTP/7.3\r\nHost: x\r\n\r\n'],
      ['a header without a colon', 'GET /health HTTP/1.1\r\nHost: x\r\nbroken header\r\n\r\n'],
      ['a control character in a header', 'GET /health HTTP/1.1\r\nHost: x\r\nX-A: a\u0001b\r\n\r\n'],
      [
        'both Content-Length and chunked',
        'POST /probe/echo HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n',
      ],
      [
        'a bad chunk size',
        // With its content type, so the body is read: one without is refused (415) before it is.
        'POST /probe/echo HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n',
      ],
    ])('answers %s with a JSON 400', async (_, bytes) => {
      expectErrorBody(await rawExchange(port, bytes), 400);
    });

    it('answers a body over the limit with a JSON 413', async () => {
      const body = JSON.stringify({ amount: 1, note: 'x'.repeat(200 * 1024) });
      const response = await request(testApp.http)
        .post('/probe/echo')
        .set(bearer(signToken()))
        .set('Content-Type', 'application/json')
        .send(body);
      expect(response.status).toBe(413);
      expect(response.body).toEqual({
        statusCode: 413,
        code: 'PAYLOAD_TOO_LARGE',
        message: expect.any(String),
      });
    });

    it.each([
      ['an unknown charset', { 'Content-Type': 'application/json; charset=latin1' }],
      ['an unknown content encoding', { 'Content-Type': 'application/json', 'Content-Encoding': 'x-zip' }],
    ])('answers %s with a JSON 415', async (_, headers) => {
      const response = await request(testApp.http)
        .post('/probe/echo')
        .set(bearer(signToken()))
        .set(headers)
        .send('{"amount":1}');
      expect(response.status).toBe(415);
      expect(response.body).toEqual({
        statusCode: 415,
        code: 'UNSUPPORTED_MEDIA_TYPE',
        message: expect.any(String),
      });
    });

    it('survives a body cut off mid-way and keeps serving', async () => {
      const token = signToken();
      const answer = await rawExchange(
        port,
        `POST /probe/echo HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${token}\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{"amount":`,
        true,
      );
      expect(answer.status === 0 || (answer.status >= 400 && answer.status < 500)).toBe(true);
      const health = await request(testApp.http).get('/health');
      expect(health.status).toBe(200);
    });
  });

  describe('security headers and CORS', () => {
    it('sends helmet headers and no X-Powered-By', async () => {
      const response = await request(testApp.http).get('/health');
      expect(response.headers['x-powered-by']).toBeUndefined();
      expect(response.headers['x-content-type-options']).toBe('nosniff');
      expect(response.headers['strict-transport-security']).toBeDefined();
      expect(response.headers['content-security-policy']).toContain("default-src 'self'");
      expect(response.headers['x-frame-options']).toBe('SAMEORIGIN');
    });

    it('allows a configured origin and no other', async () => {
      const allowed = await request(testApp.http)
        .options('/payments/process')
        .set('Origin', 'https://shop.example.com')
        .set('Access-Control-Request-Method', 'POST');
      expect(allowed.status).toBeLessThan(300);
      expect(allowed.headers['access-control-allow-origin']).toBe('https://shop.example.com');
      // A browser client manages its webhook endpoints too.
      const patch = await request(testApp.http)
        .options('/webhook-endpoints/6f1c2a4e-8a0b-4c5d-9e2f-1a2b3c4d5e6f')
        .set('Origin', 'https://shop.example.com')
        .set('Access-Control-Request-Method', 'PATCH');
      expect(patch.headers['access-control-allow-methods']).toEqual(expect.stringContaining('PATCH'));
      expect(patch.headers['access-control-allow-methods']).toEqual(expect.stringContaining('DELETE'));

      const other = await request(testApp.http).get('/health').set('Origin', 'https://evil.example.com');
      expect(other.headers['access-control-allow-origin']).toBeUndefined();
    });

    it('renders the Swagger UI at /docs, its scripts and styles allowed by the policy', async () => {
      const page = await request(testApp.http).get('/docs/');
      expect(page.status).toBe(200);
      const assets = [...page.text.matchAll(/(?:src|href)="([^"]+\.(?:js|css))"/g)].map((match) => match[1]);
      expect(assets.length).toBeGreaterThan(0);
      for (const asset of assets) {
        const url = asset.startsWith('/') ? asset : `/docs/${asset.replace(/^\.\//, '')}`;
        const response = await request(testApp.http).get(url);
        expect({ url, status: response.status }).toEqual({ url, status: 200 });
      }
      // helmet's script-src 'self' forbids inline scripts: the page must have none. It inlines styles.
      expect(page.text).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/);
      expect(page.headers['content-security-policy']).toMatch(/style-src[^;]*'unsafe-inline'/);
    });
  });
});

describe('CORS by default', () => {
  let testApp: TestApp;
  beforeAll(async () => {
    testApp = await createTestApp();
  });
  afterAll(() => testApp.close());

  it('allows no cross-origin caller when CORS_ORIGINS is unset', async () => {
    const preflight = await request(testApp.http)
      .options('/payments/process')
      .set('Origin', 'https://shop.example.com')
      .set('Access-Control-Request-Method', 'POST');
    expect(preflight.headers['access-control-allow-origin']).toBeUndefined();
    const simple = await request(testApp.http).get('/health').set('Origin', 'https://shop.example.com');
    expect(simple.headers['access-control-allow-origin']).toBeUndefined();
  });
});
