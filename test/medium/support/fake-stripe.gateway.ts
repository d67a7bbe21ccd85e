import { randomUUID } from 'node:crypto';
import type Stripe from 'stripe';
import type { StripeException } from '../../../src/stripe/stripe.exception';
import type {
  CreateCustomerInput,
  CreatePaymentIntentInput,
  CreateRefundInput,
  StripeGateway,
} from '../../../src/stripe/stripe.gateway';
import { stripeFailures } from './stripe-failures';

type Behaviour<Args extends unknown[], Result> = (...args: Args) => Promise<Result>;

/** A call held by `FakeCall.hangsOnce` until the test lets it go. */
export interface HeldCall<Args extends unknown[], Result> {
  /** Resolves with the call's arguments once the service has made it. */
  readonly reached: Promise<Args>;
  /** Lets the call finish as the fake's default would (or with `answer`). */
  release(answer?: Result): void;
  fail(error: StripeException): void;
}

/**
 * One gateway method: records every call and answers from a queue of one-off behaviours, then
 * from the standing one (the fake's default until a test says otherwise).
 */
export class FakeCall<Args extends unknown[], Result> {
  readonly calls: Args[] = [];
  private readonly queued: Array<Behaviour<Args, Result>> = [];
  private standing: Behaviour<Args, Result>;

  constructor(private readonly byDefault: Behaviour<Args, Result>) {
    this.standing = byDefault;
  }

  answers(result: Result): this {
    this.standing = () => Promise.resolve(result);
    return this;
  }

  answersOnce(result: Result): this {
    this.queued.push(() => Promise.resolve(result));
    return this;
  }

  failsOnce(error: StripeException): this {
    this.queued.push(() => Promise.reject(error));
    return this;
  }

  /** Stripe acts (as the default would) but the answer never arrives: the outcome is unknown to the caller. */
  losesAnswerOnce(): this {
    this.queued.push(async (...args) => {
      await this.byDefault(...args);
      throw stripeFailures.unavailable();
    });
    return this;
  }

  hangsOnce(): HeldCall<Args, Result> {
    let reached!: (args: Args) => void;
    let settle!: (outcome: { answer?: Result; error?: StripeException }) => void;
    const reachedPromise = new Promise<Args>((resolve) => (reached = resolve));
    const outcome = new Promise<{ answer?: Result; error?: StripeException }>(
      (resolve) => (settle = resolve),
    );
    this.queued.push(async (...args) => {
      reached(args);
      const { answer, error } = await outcome;
      if (error) throw error;
      return answer ?? this.byDefault(...args);
    });
    return {
      reached: reachedPromise,
      release: (answer) => settle({ answer }),
      fail: (error) => settle({ error }),
    };
  }

  invoke(...args: Args): Promise<Result> {
    this.calls.push(args);
    const behaviour = this.queued.shift() ?? this.standing;
    return behaviour(...args);
  }

  reset(): void {
    this.calls.length = 0;
    this.queued.length = 0;
    this.standing = this.byDefault;
  }
}

/**
 * Stands in for `StripeGateway`. By default it behaves like Stripe on the happy path, replays
 * a create sent again with the same idempotency key, and lists what it created; each method is
 * programmable per test through `stub`.
 */
export class FakeStripeGateway implements Pick<StripeGateway, keyof StripeGateway> {
  private sequence = 0;
  /** Ids stay unique across the fakes of every suite sharing the run's database. */
  private readonly instance = randomUUID().slice(0, 8);
  private readonly intentsByKey = new Map<string, Stripe.PaymentIntent>();
  private readonly refundsByKey = new Map<string, Stripe.Refund>();
  private readonly customersByKey = new Map<string, Stripe.Customer>();
  private readonly outsideRefunds: Stripe.Refund[] = [];

  readonly stub = {
    createPaymentIntent: new FakeCall<[CreatePaymentIntentInput, string], Stripe.PaymentIntent>(
      (input, key) => Promise.resolve(this.createIntentOnce(input, key)),
    ),
    retrievePaymentIntent: new FakeCall<[string], Stripe.PaymentIntent>((id) => {
      const intent = [...this.intentsByKey.values()].find((candidate) => candidate.id === id);
      return intent
        ? Promise.resolve(intent)
        : Promise.reject(stripeFailures.rejected('resource_missing', 'intent'));
    }),
    findPaymentIntentByMetadata: new FakeCall<[string, string], Stripe.PaymentIntent | undefined>(
      (key, value) =>
        Promise.resolve([...this.intentsByKey.values()].find((intent) => intent.metadata[key] === value)),
    ),
    findRefundByMetadata: new FakeCall<[string, string, string], Stripe.Refund | undefined>(
      (paymentIntentId, key, value) =>
        Promise.resolve(
          [...this.refundsByKey.values()].find(
            (refund) => refund.payment_intent === paymentIntentId && refund.metadata?.[key] === value,
          ),
        ),
    ),
    createRefund: new FakeCall<[CreateRefundInput, string], Stripe.Refund>((input, key) =>
      Promise.resolve(this.createRefundOnce(input, key)),
    ),
    listRefunds: new FakeCall<[string], Stripe.Refund[]>((paymentIntentId) =>
      Promise.resolve(this.refundsOf(paymentIntentId)),
    ),
    createCustomer: new FakeCall<[CreateCustomerInput, string], Stripe.Customer>((input, key) => {
      const customer =
        this.customersByKey.get(key) ??
        ({ id: `cus_fake_${this.nextId()}`, object: 'customer', ...input } as unknown as Stripe.Customer);
      this.customersByKey.set(key, customer);
      return Promise.resolve(customer);
    }),
    findCustomerByMetadata: new FakeCall<[string, string], Stripe.Customer | undefined>((key, value) =>
      Promise.resolve([...this.customersByKey.values()].find((customer) => customer.metadata[key] === value)),
    ),
  };

  createCustomer(input: CreateCustomerInput, idempotencyKey: string): Promise<Stripe.Customer> {
    return this.stub.createCustomer.invoke(input, idempotencyKey);
  }

  findCustomerByMetadata(key: string, value: string): Promise<Stripe.Customer | undefined> {
    return this.stub.findCustomerByMetadata.invoke(key, value);
  }

  createPaymentIntent(
    input: CreatePaymentIntentInput,
    idempotencyKey: string,
  ): Promise<Stripe.PaymentIntent> {
    return this.stub.createPaymentIntent.invoke(input, idempotencyKey);
  }

  retrievePaymentIntent(id: string): Promise<Stripe.PaymentIntent> {
    return this.stub.retrievePaymentIntent.invoke(id);
  }

  findPaymentIntentByMetadata(key: string, value: string): Promise<Stripe.PaymentIntent | undefined> {
    return this.stub.findPaymentIntentByMetadata.invoke(key, value);
  }

  findRefundByMetadata(
    paymentIntentId: string,
    key: string,
    value: string,
  ): Promise<Stripe.Refund | undefined> {
    return this.stub.findRefundByMetadata.invoke(paymentIntentId, key, value);
  }

  createRefund(input: CreateRefundInput, idempotencyKey: string): Promise<Stripe.Refund> {
    return this.stub.createRefund.invoke(input, idempotencyKey);
  }

  listRefunds(paymentIntentId: string): Promise<Stripe.Refund[]> {
    return this.stub.listRefunds.invoke(paymentIntentId);
  }

  async *refundsCreatedSince(): AsyncGenerator<Stripe.Refund[]> {
    const all = await Promise.resolve([...this.refundsByKey.values(), ...this.outsideRefunds]);
    if (all.length > 0) yield all.map((refund) => ({ ...refund }));
  }

  /** A refund made outside the API (the Dashboard): Stripe holds it, nothing of ours asked for it. */
  refundOutside(
    paymentIntentId: string,
    amount: number,
    status: Stripe.Refund['status'] = 'succeeded',
  ): Stripe.Refund {
    const refund = this.refund({ amount, status, payment_intent: paymentIntentId });
    this.outsideRefunds.push(refund);
    return refund;
  }

  /** Moves a refund Stripe holds to `status`, as the bank would (a refund failing after success, say). */
  setRefundStatus(id: string, status: Stripe.Refund['status'], failureReason: string | null = null): void {
    const refund = [...this.refundsByKey.values(), ...this.outsideRefunds].find(
      (candidate) => candidate.id === id,
    );
    if (!refund) throw new Error(`No refund ${id} at the fake Stripe`);
    Object.assign(refund, { status, failure_reason: failureReason });
  }

  /** Forgets every programmed behaviour, every recorded call and everything "Stripe" holds. */
  reset(): void {
    for (const call of Object.values(this.stub)) call.reset();
    this.intentsByKey.clear();
    this.refundsByKey.clear();
    this.outsideRefunds.length = 0;
    this.customersByKey.clear();
  }

  /** A PaymentIntent as Stripe would answer it; for tests that program an answer. */
  paymentIntent(overrides: Partial<Stripe.PaymentIntent> = {}): Stripe.PaymentIntent {
    const id = overrides.id ?? `pi_fake_${this.nextId()}`;
    return {
      id,
      object: 'payment_intent',
      amount: 1000,
      currency: 'usd',
      status: 'succeeded',
      client_secret: `${id}_secret_fake`,
      last_payment_error: null,
      metadata: {},
      ...overrides,
    } as Stripe.PaymentIntent;
  }

  /** A Refund as Stripe would answer it; for tests that program an answer. */
  refund(overrides: Partial<Stripe.Refund> = {}): Stripe.Refund {
    return {
      id: `re_fake_${this.nextId()}`,
      object: 'refund',
      amount: 100,
      currency: 'usd',
      status: 'succeeded',
      payment_intent: null,
      metadata: {},
      ...overrides,
    } as Stripe.Refund;
  }

  private nextId(): string {
    this.sequence += 1;
    return `${this.instance}_${this.sequence}`;
  }

  private createIntentOnce(input: CreatePaymentIntentInput, key: string): Stripe.PaymentIntent {
    const replayed = this.intentsByKey.get(key);
    if (replayed) return replayed;
    const intent = this.paymentIntent({
      amount: input.amount,
      currency: input.currency,
      status: input.confirm ? 'succeeded' : 'requires_payment_method',
      metadata: input.metadata,
    });
    this.intentsByKey.set(key, intent);
    return intent;
  }

  /** Every refund of a PaymentIntent "Stripe" holds, as copies (a list is a snapshot). */
  refundsOf(paymentIntentId: string): Stripe.Refund[] {
    return [...this.refundsByKey.values(), ...this.outsideRefunds]
      .filter((refund) => refund.payment_intent === paymentIntentId)
      .map((refund) => ({ ...refund }));
  }

  /** What Stripe does with a refund request (a replay for a key it knows), without the call being answered. */
  createRefundOnce(input: CreateRefundInput, key: string): Stripe.Refund {
    const replayed = this.refundsByKey.get(key);
    if (replayed) return replayed;
    const refund = this.refund({
      amount: input.amount,
      payment_intent: input.paymentIntentId,
      metadata: input.metadata,
    });
    this.refundsByKey.set(key, refund);
    return refund;
  }
}
