import request from 'supertest';
import { createTestApp, TestApp } from './support/test-app';
import { bearer, signToken } from './support/tokens';

describe('Bull Board at /admin/queues', () => {
  let testApp: TestApp;
  const admin = bearer(signToken({ roles: ['admin'] }));
  const user = bearer(signToken());

  beforeAll(async () => {
    testApp = await createTestApp();
  });
  afterAll(async () => {
    await testApp.close();
  });

  /** The board's own page, its JSON API and one of its static scripts. */
  async function boardPaths(): Promise<string[]> {
    const page = await request(testApp.http).get('/admin/queues').set(admin);
    const scripts = [...page.text.matchAll(/<script[^>]*\ssrc="([^"]+)"/g)].map((match) => match[1]);
    expect(scripts.length).toBeGreaterThan(0);
    return [
      '/admin/queues',
      '/admin/queues/api/queues',
      new URL(scripts[0], 'http://x/admin/queues/').pathname,
    ];
  }

  it('serves the page, its API and its static assets to an admin', async () => {
    for (const path of await boardPaths()) {
      const response = await request(testApp.http).get(path).set(admin);
      expect({ path, status: response.status }).toEqual({ path, status: 200 });
    }
    const api = await request(testApp.http).get('/admin/queues/api/queues').set(admin);
    const { queues } = api.body as { queues: Array<{ name: string }> };
    expect(queues.map((queue) => queue.name)).toEqual(
      expect.arrayContaining(['stripe-webhooks', 'tenant-webhooks']),
    );
  });

  it('refuses every board path without a token (401) and to a non-admin (403)', async () => {
    for (const path of [...(await boardPaths()), '/ADMIN/Queues/', '/admin/queues/api/redis/stats']) {
      const anonymous = await request(testApp.http).get(path);
      expect({ path, status: anonymous.status, code: anonymous.body.code }).toEqual({
        path,
        status: 401,
        code: 'AUTH_TOKEN_MISSING',
      });
      const forbidden = await request(testApp.http).get(path).set(user);
      expect({ path, status: forbidden.status, code: forbidden.body.code }).toEqual({
        path,
        status: 403,
        code: 'ADMIN_ROLE_REQUIRED',
      });
    }
  });

  it('loads under the service CSP: scripts from the board itself, stylesheets from it or https', async () => {
    const page = await request(testApp.http).get('/admin/queues').set(admin);
    const csp = String(page.headers['content-security-policy']);
    expect(csp).toMatch(/script-src 'self'(;|$)/);
    expect(csp).toMatch(/style-src 'self' https: 'unsafe-inline'/);
    const scripts = [...page.text.matchAll(/<script[^>]*\ssrc="([^"]+)"/g)].map((m) => m[1]);
    const styles = [...page.text.matchAll(/<link[^>]*rel="stylesheet"[^>]*href="([^"]+)"/g)].map((m) => m[1]);
    expect(scripts.length).toBeGreaterThan(0);
    for (const source of styles)
      expect(new URL(source, 'http://service/admin/queues/').protocol).toMatch(/^https?:$/);
    for (const source of scripts) {
      const url = new URL(source, 'http://service/admin/queues/');
      expect(url.origin).toBe('http://service');
      {
        const asset = await request(testApp.http).get(url.pathname).set(admin);
        expect({ source, status: asset.status }).toEqual({ source, status: 200 });
      }
    }
    // Only inert JSON config is inline: helmet's script-src 'self' would block anything else.
    const inlineScripts = [...page.text.matchAll(/<script(?![^>]*\ssrc=)([^>]*)>/g)].map((m) => m[1]);
    for (const attributes of inlineScripts) expect(attributes).toContain('type="application/json"');
  });
});
