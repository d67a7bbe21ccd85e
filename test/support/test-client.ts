import { randomUUID } from 'node:crypto';
import request from 'supertest';
import { checkedAgainstContract } from './contract/checked';
import type { TestApp } from './test-app';
import { bearer, signToken } from './tokens';

export interface TestClientOptions {
  /** Where `post` and `get` go; a client without one lends its identity to other helpers. */
  app?: Pick<TestApp, 'http'>;
  tenantId?: string;
  userId?: string;
}

/** One user of one tenant (a new tenant unless given) and the bearer token they send. */
export class TestClient {
  readonly tenantId: string;
  readonly userId: string;
  readonly headers: Record<string, string>;
  private readonly app?: Pick<TestApp, 'http'>;

  constructor(options: TestClientOptions = {}) {
    this.app = options.app;
    this.tenantId = options.tenantId ?? randomUUID();
    this.userId = options.userId ?? 'user-1';
    this.headers = bearer(signToken({ tenantId: this.tenantId, userId: this.userId }));
  }

  /** The same user talking to another instance of the service. */
  to(app: Pick<TestApp, 'http'>): TestClient {
    return new TestClient({ app, tenantId: this.tenantId, userId: this.userId });
  }

  /**
   * An array of keys sends the header once per value (to test a repeated header). The answer is
   * checked against the API document, as every answer of `get`, `patch` and `delete` is.
   */
  post(path: string, body: object, key: string | string[] = randomUUID()) {
    return checkedAgainstContract(
      request(this.http()).post(path).set(this.headers).set({ 'Idempotency-Key': key }).send(body),
      'post',
      path,
    );
  }

  get(path: string) {
    return checkedAgainstContract(request(this.http()).get(path).set(this.headers), 'get', path);
  }

  patch(path: string, body: object) {
    return checkedAgainstContract(
      request(this.http()).patch(path).set(this.headers).send(body),
      'patch',
      path,
    );
  }

  delete(path: string) {
    return checkedAgainstContract(request(this.http()).delete(path).set(this.headers), 'delete', path);
  }

  /** The same request without a bearer token, its answer checked as well. */
  anonymous(method: 'get' | 'post' | 'patch' | 'delete', path: string) {
    return checkedAgainstContract(
      request(this.http())[method](path).set({ 'Idempotency-Key': randomUUID() }),
      method,
      path,
    );
  }

  /** A succeeded payment of `amount` usd, ready to refund. */
  async paidPayment(amount = 1000): Promise<{ id: string; stripePaymentIntentId: string }> {
    const response = await this.post('/payments/process', {
      amount,
      currency: 'usd',
      paymentMethodId: 'pm_card_visa',
    });
    if (response.status !== 201) throw new Error(`payment failed: ${response.status} ${response.text}`);
    return response.body as { id: string; stripePaymentIntentId: string };
  }

  private http(): TestApp['http'] {
    if (!this.app) throw new Error('this client has no app: use client.to(app)');
    return this.app.http;
  }
}
