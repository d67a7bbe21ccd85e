import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import Stripe from 'stripe';
import { StripeEmulator, type EmulatorState, type Refund, type StripeEvent } from '../src/index';

const WEBHOOK_SECRET = 'whsec_emulator_e2e';

interface ReceivedWebhook {
  body: string;
  signature: string;
}

/** A webhook endpoint that records what it receives and answers with a configurable status. */
class WebhookReceiver {
  received: ReceivedWebhook[] = [];
  status = 200;
  private readonly server: Server = createServer((request, response) => {
    void readAll(request).then((body) => {
      this.received.push({ body, signature: String(request.headers['stripe-signature']) });
      response.writeHead(this.status).end();
    });
  });

  async start(): Promise<string> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/webhooks/stripe`;
  }

  stop(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }

  /** Every received body, verified through the SDK as the service under test would. */
  verifiedEvents(stripe: Stripe): Stripe.Event[] {
    return this.received.map(({ body, signature }) =>
      stripe.webhooks.constructEvent(body, signature, WEBHOOK_SECRET),
    );
  }

  reset(): void {
    this.received = [];
    this.status = 200;
  }
}

async function readAll(request: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

async function rejection(promise: Promise<unknown>): Promise<Stripe.errors.StripeError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof Stripe.errors.StripeError) return error;
    throw error;
  }
  throw new Error('Expected the Stripe call to fail, but it succeeded');
}

function thrown(action: () => unknown): unknown {
  try {
    action();
  } catch (error) {
    return error;
  }
  throw new Error('Expected the call to throw, but it returned');
}

const NO_REQUEST = { id: null, idempotency_key: null };

/** What Stripe sends when a refund is made, and when one changes status (`refund.failed` follows a failure). */
const REFUND_MADE = ['charge.refunded', 'refund.created'];
const REFUND_MOVED = ['charge.refund.updated', 'refund.updated'];
const REFUND_FAILED = [...REFUND_MOVED, 'refund.failed'];

describe(StripeEmulator.name, () => {
  const logger = { log: jest.fn(), warn: jest.fn() };
  const receiver = new WebhookReceiver();
  let webhookUrl: string;
  let emulator: StripeEmulator;
  let stripe: Stripe;

  beforeAll(async () => {
    webhookUrl = await receiver.start();
    emulator = new StripeEmulator({ port: 0, logger });
    const { port } = await emulator.start();
    stripe = new Stripe('sk_test_emulator', {
      host: '127.0.0.1',
      port,
      protocol: 'http',
      maxNetworkRetries: 0,
      timeout: 5000,
    });
  });

  afterAll(async () => {
    await emulator.stop();
    await receiver.stop();
  });

  beforeEach(async () => {
    await emulator.webhooksIdle();
    emulator.setWebhookTarget(null);
    emulator.reset();
    receiver.reset();
    logger.warn.mockClear();
  });

  const paidIntent = () =>
    stripe.paymentIntents.create({
      amount: 5000,
      currency: 'usd',
      payment_method: 'pm_card_visa',
      confirm: true,
    });

  const chargeOf = (intent: Stripe.PaymentIntent) => stripe.charges.retrieve(intent.latest_charge as string);

  const control = async (method: string, path: string, body?: object): Promise<Response> =>
    fetch(`${emulator.url}/_emulator${path}`, {
      method,
      headers: { 'Content-Type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });

  /** Every event delivered so far, once deliveries are done, verified as the service would. */
  const delivered = async (): Promise<Stripe.Event[]> => {
    await emulator.webhooksIdle();
    return receiver.verifiedEvents(stripe);
  };

  describe('lifecycle', () => {
    it('serves on the port it reports and refuses a second listener on it', async () => {
      expect(emulator.url).toBe(`http://127.0.0.1:${emulator.port}`);
      const clash = new StripeEmulator({ port: emulator.port, logger });
      await expect(clash.start()).rejects.toThrow(/EADDRINUSE/);
    });

    it('requires a secret key', async () => {
      const publishable = new Stripe('pk_test_emulator', {
        host: '127.0.0.1',
        port: emulator.port,
        protocol: 'http',
        maxNetworkRetries: 0,
      });
      const error = await rejection(publishable.paymentIntents.create({ amount: 100, currency: 'usd' }));
      expect(error).toBeInstanceOf(Stripe.errors.StripeAuthenticationError);
      expect(error.statusCode).toBe(401);
      expect(error.type).toBe('StripeAuthenticationError');
      expect(emulator.paymentIntents()).toHaveLength(0);
    });
  });

  describe('PaymentIntents', () => {
    it('creates an unconfirmed PaymentIntent shaped like Stripe', async () => {
      const intent = await stripe.paymentIntents.create({
        amount: 1999,
        currency: 'EUR',
        description: 'order 42',
        metadata: { order_id: '42', tenant: 't-1' },
        automatic_payment_methods: { enabled: true },
      });
      expect(intent).toMatchObject({
        object: 'payment_intent',
        amount: 1999,
        currency: 'eur',
        status: 'requires_payment_method',
        livemode: false,
        amount_received: 0,
        latest_charge: null,
        description: 'order 42',
        metadata: { order_id: '42', tenant: 't-1' },
        automatic_payment_methods: { enabled: true },
      });
      expect(intent.id).toMatch(/^pi_[A-Za-z0-9]{24}$/);
      expect(intent.client_secret).toMatch(new RegExp(`^${intent.id}_secret_[A-Za-z0-9]+$`));
      expect(typeof intent.created).toBe('number');
      expect(intent.lastResponse.requestId).toMatch(/^req_/);
    });

    it('waits for confirmation when a payment method is attached', async () => {
      const intent = await stripe.paymentIntents.create({
        amount: 700,
        currency: 'usd',
        payment_method: 'pm_card_visa',
      });
      expect(intent.status).toBe('requires_confirmation');
      expect(intent.payment_method).toBe('pm_card_visa');
    });

    it('charges pm_card_visa when created with confirm', async () => {
      const intent = await paidIntent();
      expect(intent.status).toBe('succeeded');
      expect(intent.amount_received).toBe(5000);
      expect(intent.latest_charge).toMatch(/^ch_/);
      const retrieved = await stripe.paymentIntents.retrieve(intent.id);
      expect(retrieved).toEqual({ ...intent });
    });

    it('confirms later with a payment method given at confirmation', async () => {
      const created = await stripe.paymentIntents.create({ amount: 1200, currency: 'usd' });
      const confirmed = await stripe.paymentIntents.confirm(created.id, { payment_method: 'pm_card_visa' });
      expect(confirmed.id).toBe(created.id);
      expect(confirmed.status).toBe('succeeded');
      expect(confirmed.amount_received).toBe(1200);
    });

    it('declines pm_card_chargeDeclined with a 402 card error carrying the PaymentIntent', async () => {
      const created = await stripe.paymentIntents.create({ amount: 3000, currency: 'usd' });
      const error = await rejection(
        stripe.paymentIntents.confirm(created.id, { payment_method: 'pm_card_chargeDeclined' }),
      );
      expect(error).toBeInstanceOf(Stripe.errors.StripeCardError);
      expect(error.statusCode).toBe(402);
      expect(error.code).toBe('card_declined');
      expect(error.decline_code).toBe('generic_decline');
      expect(error.charge).toMatch(/^ch_/);
      expect(error.payment_intent?.id).toBe(created.id);
      expect(error.payment_intent?.status).toBe('requires_payment_method');
      expect(error.payment_intent?.last_payment_error?.decline_code).toBe('generic_decline');
      const retrieved = await stripe.paymentIntents.retrieve(created.id);
      expect(retrieved.status).toBe('requires_payment_method');
      expect(retrieved.amount_received).toBe(0);
    });

    it('declines on create-and-confirm, still creating the PaymentIntent', async () => {
      const error = await rejection(
        stripe.paymentIntents.create({
          amount: 3000,
          currency: 'usd',
          payment_method: 'pm_card_chargeDeclined',
          confirm: true,
        }),
      );
      expect(error).toBeInstanceOf(Stripe.errors.StripeCardError);
      expect(emulator.paymentIntents().map((intent) => intent.id)).toEqual([error.payment_intent?.id]);
    });

    it('asks for authentication with pm_card_authenticationRequired', async () => {
      const intent = await stripe.paymentIntents.create({
        amount: 900,
        currency: 'usd',
        payment_method: 'pm_card_authenticationRequired',
        confirm: true,
      });
      expect(intent.status).toBe('requires_action');
      expect(intent.next_action?.type).toBe('use_stripe_sdk');
    });

    it('leaves pm_card_processing processing until settled', async () => {
      const intent = await stripe.paymentIntents.create({
        amount: 900,
        currency: 'usd',
        payment_method: 'pm_card_processing',
        confirm: true,
      });
      expect(intent.status).toBe('processing');
      emulator.settlePaymentIntent(intent.id, 'succeeded');
      const settled = await stripe.paymentIntents.retrieve(intent.id);
      expect(settled.status).toBe('succeeded');
      expect(settled.amount_received).toBe(900);
      expect(settled.latest_charge).toBe(intent.latest_charge);
    });

    it('rejects an unknown payment method with resource_missing on payment_method', async () => {
      const error = await rejection(
        stripe.paymentIntents.create({
          amount: 100,
          currency: 'usd',
          payment_method: 'pm_nope',
          confirm: true,
        }),
      );
      expect(error).toBeInstanceOf(Stripe.errors.StripeInvalidRequestError);
      expect(error.statusCode).toBe(400);
      expect(error.code).toBe('resource_missing');
      expect(error.param).toBe('payment_method');
      expect(emulator.paymentIntents()).toHaveLength(0);
    });

    it('answers 404 resource_missing for an unknown PaymentIntent', async () => {
      const error = await rejection(stripe.paymentIntents.retrieve('pi_doesnotexist'));
      expect(error).toBeInstanceOf(Stripe.errors.StripeInvalidRequestError);
      expect(error.statusCode).toBe(404);
      expect(error.code).toBe('resource_missing');
    });

    it.each([
      [{ currency: 'usd' }, 'amount', 'parameter_missing'],
      [{ amount: 100 }, 'currency', 'parameter_missing'],
      [{ amount: -5, currency: 'usd' }, 'amount', 'parameter_invalid_integer'],
      [{ amount: 100, currency: 'dollars' }, 'currency', 'parameter_invalid'],
    ])('rejects %j with a 400 naming %s', async (params, param, code) => {
      const error = await rejection(stripe.paymentIntents.create(params as Stripe.PaymentIntentCreateParams));
      expect(error).toBeInstanceOf(Stripe.errors.StripeInvalidRequestError);
      expect(error.statusCode).toBe(400);
      expect(error.param).toBe(param);
      expect(error.code).toBe(code);
    });

    it('ignores parameters it does not model', async () => {
      const intent = await stripe.paymentIntents.create({
        amount: 100,
        currency: 'usd',
        statement_descriptor_suffix: 'ORDER',
        setup_future_usage: 'off_session',
      });
      expect(intent.status).toBe('requires_payment_method');
    });

    it('cancels an open PaymentIntent but not a succeeded one', async () => {
      const open = await stripe.paymentIntents.create({ amount: 100, currency: 'usd' });
      const canceled = await stripe.paymentIntents.cancel(open.id, { cancellation_reason: 'abandoned' });
      expect(canceled.status).toBe('canceled');
      expect(canceled.cancellation_reason).toBe('abandoned');

      const paid = await paidIntent();
      const error = await rejection(stripe.paymentIntents.cancel(paid.id));
      expect(error).toBeInstanceOf(Stripe.errors.StripeInvalidRequestError);
      expect(error.code).toBe('payment_intent_unexpected_state');
      expect((await stripe.paymentIntents.retrieve(paid.id)).status).toBe('succeeded');
    });

    it('authorizes then captures with capture_method manual', async () => {
      const intent = await stripe.paymentIntents.create({
        amount: 800,
        currency: 'usd',
        payment_method: 'pm_card_visa',
        confirm: true,
        capture_method: 'manual',
      });
      expect(intent.status).toBe('requires_capture');
      expect(intent.amount_capturable).toBe(800);
      const captured = await stripe.paymentIntents.capture(intent.id);
      expect(captured.status).toBe('succeeded');
      expect(captured.amount_received).toBe(800);
    });
  });

  describe('refunds', () => {
    it('refunds in full by default', async () => {
      const intent = await paidIntent();
      const refund = await stripe.refunds.create({
        payment_intent: intent.id,
        reason: 'requested_by_customer',
        metadata: { ticket: 'T-9' },
      });
      expect(refund).toMatchObject({
        object: 'refund',
        amount: 5000,
        currency: 'usd',
        payment_intent: intent.id,
        charge: intent.latest_charge,
        status: 'succeeded',
        failure_reason: null,
        reason: 'requested_by_customer',
        metadata: { ticket: 'T-9' },
      });
      expect(refund.id).toMatch(/^re_/);
      expect(await stripe.refunds.retrieve(refund.id)).toEqual({ ...refund });
      const charge = await stripe.charges.retrieve(intent.latest_charge as string);
      expect(charge.amount_refunded).toBe(5000);
      expect(charge.refunded).toBe(true);

      const again = await rejection(stripe.refunds.create({ payment_intent: intent.id }));
      expect(again).toBeInstanceOf(Stripe.errors.StripeInvalidRequestError);
      expect(again.code).toBe('charge_already_refunded');
    });

    it('refunds partially, then refuses more than what is left', async () => {
      const intent = await paidIntent();
      await stripe.refunds.create({ payment_intent: intent.id, amount: 2000 });
      const tooMuch = await rejection(stripe.refunds.create({ payment_intent: intent.id, amount: 3001 }));
      expect(tooMuch).toBeInstanceOf(Stripe.errors.StripeInvalidRequestError);
      expect(tooMuch.code).toBe('amount_too_large');
      expect(tooMuch.param).toBe('amount');
      const rest = await stripe.refunds.create({ payment_intent: intent.id });
      expect(rest.amount).toBe(3000);
      const charge = await stripe.charges.retrieve(intent.latest_charge as string);
      expect(charge.amount_refunded).toBe(5000);
      expect(charge.refunded).toBe(true);
      expect(emulator.refunds().map((refund) => refund.amount)).toEqual([2000, 3000]);
    });

    it('refuses to refund a PaymentIntent that has not succeeded', async () => {
      const intent = await stripe.paymentIntents.create({ amount: 100, currency: 'usd' });
      const error = await rejection(stripe.refunds.create({ payment_intent: intent.id }));
      expect(error).toBeInstanceOf(Stripe.errors.StripeInvalidRequestError);
      expect(error.statusCode).toBe(400);
      expect(emulator.refunds()).toHaveLength(0);
    });
  });

  describe('refund statuses', () => {
    beforeEach(() => emulator.setWebhookTarget({ url: webhookUrl, secret: WEBHOOK_SECRET }));

    it('gives the amount of a succeeded refund that fails back to the charge, announcing it', async () => {
      const intent = await paidIntent();
      const refund = await stripe.refunds.create({ payment_intent: intent.id });
      const refused = await rejection(stripe.refunds.create({ payment_intent: intent.id, amount: 1 }));
      expect(refused.code).toBe('charge_already_refunded');

      const failed = emulator.updateRefundStatus(refund.id, 'failed', 'lost_or_stolen_card');
      const bounced = {
        object: 'refund',
        id: refund.id,
        amount: 5000,
        status: 'failed',
        failure_reason: 'lost_or_stolen_card',
      };
      expect(failed).toMatchObject(bounced);
      expect(await stripe.refunds.retrieve(refund.id)).toMatchObject(bounced);
      expect(await chargeOf(intent)).toMatchObject({ amount_refunded: 0, refunded: false });

      const again = await stripe.refunds.create({ payment_intent: intent.id, amount: 5000 });
      expect(again.status).toBe('succeeded');
      expect(await chargeOf(intent)).toMatchObject({ amount_refunded: 5000, refunded: true });

      const events = await delivered();
      expect(events.map((event) => event.type)).toEqual([
        'payment_intent.succeeded',
        ...REFUND_MADE,
        ...REFUND_FAILED,
        ...REFUND_MADE,
      ]);
      expect(events[1].data.object).toMatchObject({
        object: 'charge',
        amount_refunded: 5000,
        refunded: true,
      });
      expect(events[2].data.object).toMatchObject({
        id: refund.id,
        status: 'succeeded',
        failure_reason: null,
      });
      for (const update of events.slice(3, 6)) {
        expect(update.data.object).toMatchObject(bounced);
        expect(update.request).toEqual(NO_REQUEST);
      }
      expect(events[6].data.object).toMatchObject({
        object: 'charge',
        amount_refunded: 5000,
        refunded: true,
      });
      expect(events[7].data.object).toMatchObject({ id: again.id, status: 'succeeded' });
    });

    it.each([
      ['succeeded', 2000, null],
      ['failed', 0, 'declined'],
      ['canceled', 0, null],
    ] as const)(
      'counts a pending refund in amount_refunded until it settles %s',
      async (outcome, amountRefunded, failureReason) => {
        emulator.setRefundInitialStatus('pending');
        const intent = await paidIntent();
        const refund = await stripe.refunds.create({ payment_intent: intent.id, amount: 2000 });
        expect(refund).toMatchObject({ status: 'pending', failure_reason: null });
        expect(await chargeOf(intent)).toMatchObject({ amount_refunded: 2000, refunded: false });
        const tooMuch = await rejection(stripe.refunds.create({ payment_intent: intent.id, amount: 3001 }));
        expect(tooMuch).toMatchObject({ code: 'amount_too_large', param: 'amount' });

        expect(emulator.updateRefundStatus(refund.id, outcome).status).toBe(outcome);
        expect(await stripe.refunds.retrieve(refund.id)).toMatchObject({
          status: outcome,
          failure_reason: failureReason,
        });
        expect(await chargeOf(intent)).toMatchObject({ amount_refunded: amountRefunded });
        const events = await delivered();
        expect(events.map((event) => event.type)).toEqual([
          'payment_intent.succeeded',
          ...REFUND_MADE,
          ...(outcome === 'failed' ? REFUND_FAILED : REFUND_MOVED),
        ]);
        expect(events[2].data.object).toMatchObject({ id: refund.id, status: 'pending' });
        expect(events[4].data.object).toMatchObject({ id: refund.id, status: outcome });
      },
    );

    it('moves a refund that requires action through pending to succeeded, counted all along', async () => {
      emulator.setRefundInitialStatus('requires_action');
      const intent = await paidIntent();
      const refund = await stripe.refunds.create({ payment_intent: intent.id });
      expect(refund.status).toBe('requires_action');
      expect(await chargeOf(intent)).toMatchObject({ amount_refunded: 5000, refunded: true });
      expect(emulator.updateRefundStatus(refund.id, 'pending').status).toBe('pending');
      expect(emulator.updateRefundStatus(refund.id, 'succeeded').status).toBe('succeeded');
      expect(await chargeOf(intent)).toMatchObject({ amount_refunded: 5000, refunded: true });
      const updates = (await delivered()).filter((event) => event.type === 'refund.updated');
      expect(updates.map((event) => event.data.object)).toMatchObject([
        { id: refund.id, status: 'pending' },
        { id: refund.id, status: 'succeeded' },
      ]);
    });

    it('refuses moves Stripe never makes, changing nothing', async () => {
      const intent = await paidIntent();
      const refund = await stripe.refunds.create({ payment_intent: intent.id, amount: 1000 });
      for (const status of ['pending', 'requires_action', 'canceled', 'succeeded'] as const) {
        expect(() => emulator.updateRefundStatus(refund.id, status)).toThrow(
          `Refund ${refund.id} is succeeded; it cannot become ${status}.`,
        );
      }
      expect(() => emulator.updateRefundStatus(refund.id, 'succeeded', 'declined')).toThrow();
      emulator.updateRefundStatus(refund.id, 'failed');
      for (const status of ['succeeded', 'failed', 'canceled'] as const) {
        expect(() => emulator.updateRefundStatus(refund.id, status)).toThrow(
          `Refund ${refund.id} is failed; it cannot become ${status}.`,
        );
      }
      expect(() => emulator.updateRefundStatus('re_missing', 'failed')).toThrow(
        "No such refund: 're_missing'",
      );
      expect(await stripe.refunds.retrieve(refund.id)).toMatchObject({
        status: 'failed',
        failure_reason: 'declined',
      });
      expect(await chargeOf(intent)).toMatchObject({ amount_refunded: 0 });
      expect(emulator.events().map((event) => event.type)).toEqual([
        'payment_intent.succeeded',
        ...REFUND_MADE,
        ...REFUND_FAILED,
      ]);
    });

    it('keeps the initial status until changed or reset', async () => {
      emulator.setRefundInitialStatus('requires_action');
      const intent = await paidIntent();
      expect((await stripe.refunds.create({ payment_intent: intent.id, amount: 100 })).status).toBe(
        'requires_action',
      );
      expect((await stripe.refunds.create({ payment_intent: intent.id, amount: 100 })).status).toBe(
        'requires_action',
      );
      expect(emulator.state().refundInitialStatus).toBe('requires_action');
      emulator.reset();
      expect(emulator.state().refundInitialStatus).toBe('succeeded');
      const next = await paidIntent();
      expect((await stripe.refunds.create({ payment_intent: next.id, amount: 100 })).status).toBe(
        'succeeded',
      );
    });
  });

  describe('Dashboard refunds', () => {
    it('refunds as POST /v1/refunds would, outside the API and its idempotency', async () => {
      emulator.setWebhookTarget({ url: webhookUrl, secret: WEBHOOK_SECRET });
      const intent = await paidIntent();
      const refund = emulator.createDashboardRefund({
        paymentIntent: intent.id,
        amount: 1200,
        reason: 'requested_by_customer',
      });
      expect(refund).toMatchObject({
        id: expect.stringMatching(/^re_/),
        object: 'refund',
        amount: 1200,
        charge: intent.latest_charge,
        payment_intent: intent.id,
        status: 'succeeded',
        failure_reason: null,
        reason: 'requested_by_customer',
        metadata: {},
      });
      expect(await stripe.refunds.retrieve(refund.id)).toEqual(refund);
      const rest = emulator.createDashboardRefund({ paymentIntent: intent.id });
      expect(rest.amount).toBe(3800);
      expect(await chargeOf(intent)).toMatchObject({ amount_refunded: 5000, refunded: true });
      expect(thrown(() => emulator.createDashboardRefund({ paymentIntent: intent.id }))).toMatchObject({
        status: 400,
        body: { code: 'charge_already_refunded' },
      });
      const other = await paidIntent();
      expect(
        thrown(() => emulator.createDashboardRefund({ paymentIntent: other.id, amount: 5001 })),
      ).toMatchObject({ status: 400, body: { code: 'amount_too_large', param: 'amount' } });
      expect(
        thrown(() => emulator.createDashboardRefund({ paymentIntent: other.id, amount: 1.5 })),
      ).toMatchObject({ status: 400, body: { code: 'parameter_invalid_integer', param: 'amount' } });
      expect(thrown(() => emulator.createDashboardRefund({ paymentIntent: 'pi_missing' }))).toMatchObject({
        status: 404,
        body: { code: 'resource_missing' },
      });
      expect(emulator.requestLog().filter(({ path }) => path === '/v1/refunds')).toEqual([]);
      expect(emulator.stats().refundsCreated).toBe(2);

      const events = await delivered();
      expect(events.map((event) => event.type)).toEqual([
        'payment_intent.succeeded',
        ...REFUND_MADE,
        ...REFUND_MADE,
        'payment_intent.succeeded',
      ]);
      expect(events[2].data.object).toMatchObject({ id: refund.id, amount: 1200 });
      expect(events[4].data.object).toMatchObject({ id: rest.id, amount: 3800 });
      const apiRequests = emulator.requestLog().map(({ requestId }) => requestId);
      for (const event of events.slice(1, 5)) {
        expect(event.request).toMatchObject({ id: expect.stringMatching(/^req_/), idempotency_key: null });
        expect(apiRequests).not.toContain(event.request?.id);
      }
    });

    it('starts in the initial status unless told otherwise; without a target its events are only recorded', async () => {
      emulator.setRefundInitialStatus('pending');
      const intent = await paidIntent();
      const statuses = [
        emulator.createDashboardRefund({ paymentIntent: intent.id, amount: 100 }),
        emulator.createDashboardRefund({ paymentIntent: intent.id, amount: 100, status: 'requires_action' }),
        emulator.createDashboardRefund({ paymentIntent: intent.id, amount: 100 }),
      ].map((refund) => refund.status);
      expect(statuses).toEqual(['pending', 'requires_action', 'pending']);
      expect(await chargeOf(intent)).toMatchObject({ amount_refunded: 300 });
      expect(await delivered()).toHaveLength(0);
      expect(emulator.events().map((event) => event.type)).toEqual([
        'payment_intent.succeeded',
        ...REFUND_MADE,
        ...REFUND_MADE,
        ...REFUND_MADE,
      ]);
    });
  });

  describe('lists', () => {
    /** Refunds of 1 each on the PaymentIntent, made directly: quick, and the same store path as the API's. */
    const refundsOf = (paymentIntent: string, count: number): string[] =>
      Array.from({ length: count }, () => emulator.createDashboardRefund({ paymentIntent, amount: 1 }).id);

    it("walks a PaymentIntent's refunds past 100 with autoPagingToArray, each once, newest first", async () => {
      const [mine, other] = [await paidIntent(), await paidIntent()];
      const created: string[] = [];
      for (let round = 0; round < 13; round += 1) {
        created.push(...refundsOf(mine.id, 10));
        refundsOf(other.id, 1);
      }
      created.push((await stripe.refunds.create({ payment_intent: mine.id, amount: 1 })).id);

      const listed = await stripe.refunds
        .list({ payment_intent: mine.id, limit: 100 })
        .autoPagingToArray({ limit: 10_000 });
      expect(listed.map((refund) => refund.id)).toEqual([...created].reverse());
      const pages = emulator
        .requestLog()
        .filter(({ method, path }) => method === 'GET' && path === '/v1/refunds');
      expect(pages).toHaveLength(2);

      const byCharge = await stripe.refunds.list({ charge: other.latest_charge as string, limit: 100 });
      expect(byCharge.data).toHaveLength(13);
      expect(byCharge.has_more).toBe(false);
      expect(byCharge.data.every((refund) => refund.payment_intent === other.id)).toBe(true);

      const backwards = await stripe.refunds
        .list({ payment_intent: mine.id, ending_before: created[0], limit: 100 })
        .autoPagingToArray({ limit: 10_000 });
      expect(backwards.map((refund) => refund.id)).toEqual(created.slice(1));
    });

    it('walks refunds created since a time with autoPagingEach, leaving older ones out', async () => {
      const intent = await paidIntent();
      const hourAgo = Date.now() - 3_600_000;
      const clock = jest.spyOn(Date, 'now').mockReturnValue(hourAgo);
      const old = refundsOf(intent.id, 15);
      clock.mockRestore();
      const recent = refundsOf(intent.id, 105);
      expect(emulator.refunds()[0]).toMatchObject({ id: old[0], created: Math.floor(hourAgo / 1000) });

      const since = Math.floor(hourAgo / 1000) + 60;
      const seen: string[] = [];
      await stripe.refunds.list({ created: { gte: since } }).autoPagingEach((refund) => {
        seen.push(refund.id);
        return seen.length <= 1000; // a broken cursor must fail the test, not loop until its timeout
      });
      expect(seen).toEqual([...recent].reverse());
      const before = await stripe.refunds.list({ created: { lt: since }, limit: 100 });
      expect(before.data.map((refund) => refund.id)).toEqual([...old].reverse());
    });

    it('pages PaymentIntents and events the same way, events filtered by type', async () => {
      const intents: string[] = [];
      for (let i = 0; i < 7; i += 1) intents.push((await paidIntent()).id);
      const listed = await stripe.paymentIntents.list({ limit: 3 }).autoPagingToArray({ limit: 100 });
      expect(listed.map((intent) => intent.id)).toEqual([...intents].reverse());

      const refunds = refundsOf(intents[0], 110);
      const announced = await stripe.events
        .list({ type: 'refund.created', limit: 100 })
        .autoPagingToArray({ limit: 10_000 });
      expect(announced.map((event) => (event.data.object as Stripe.Refund).id)).toEqual(
        [...refunds].reverse(),
      );
      const charges = await stripe.events.list({ type: 'charge.*', limit: 100 });
      expect(charges).toMatchObject({ has_more: true });
      expect(new Set(charges.data.map((event) => event.type))).toEqual(new Set(['charge.refunded']));
    });

    it('answers a cursor it does not know with resource_missing, and a limit above 100 with a 400', async () => {
      const unknown = await rejection(stripe.refunds.list({ starting_after: 're_unknown' }));
      expect(unknown).toBeInstanceOf(Stripe.errors.StripeInvalidRequestError);
      expect(unknown).toMatchObject({
        statusCode: 400,
        code: 'resource_missing',
        param: 'starting_after',
        message: "No such refund: 're_unknown'",
      });
      const tooMany = await rejection(stripe.paymentIntents.list({ limit: 101 }));
      expect(tooMany).toMatchObject({ statusCode: 400, param: 'limit' });
    });
  });

  describe('idempotency', () => {
    const params = { amount: 2500, currency: 'usd', payment_method: 'pm_card_visa', confirm: true };

    it('replays the stored response for the same key and parameters', async () => {
      const idempotencyKey = randomUUID();
      const first = await stripe.paymentIntents.create(params, { idempotencyKey });
      const second = await stripe.paymentIntents.create(params, { idempotencyKey });
      expect(second.id).toBe(first.id);
      expect(first.lastResponse.headers['idempotent-replayed']).toBeUndefined();
      expect(second.lastResponse.headers['idempotent-replayed']).toBe('true');
      expect(emulator.stats()).toMatchObject({ paymentIntentsCreated: 1, executed: 1, replayed: 1 });
      expect(emulator.requestLog().map(({ idempotencyKey: key, replayed }) => ({ key, replayed }))).toEqual([
        { key: idempotencyKey, replayed: false },
        { key: idempotencyKey, replayed: true },
      ]);
    });

    it('replays a stored card decline', async () => {
      const idempotencyKey = randomUUID();
      const declined = { ...params, payment_method: 'pm_card_chargeDeclined' };
      const first = await rejection(stripe.paymentIntents.create(declined, { idempotencyKey }));
      const second = await rejection(stripe.paymentIntents.create(declined, { idempotencyKey }));
      expect(second).toBeInstanceOf(Stripe.errors.StripeCardError);
      expect(second.payment_intent?.id).toBe(first.payment_intent?.id);
      expect(second.headers?.['idempotent-replayed']).toBe('true');
      expect(emulator.stats().paymentIntentsCreated).toBe(1);
    });

    it('refuses the same key with different parameters', async () => {
      const idempotencyKey = randomUUID();
      await stripe.paymentIntents.create(params, { idempotencyKey });
      const error = await rejection(
        stripe.paymentIntents.create({ ...params, amount: 2600 }, { idempotencyKey }),
      );
      expect(error).toBeInstanceOf(Stripe.errors.StripeIdempotencyError);
      expect(error.statusCode).toBe(400);
      expect(emulator.stats().paymentIntentsCreated).toBe(1);
    });

    it('answers 409 while the first request with the key is still running', async () => {
      emulator.addLatency(300, { method: 'POST', path: '/v1/payment_intents' });
      const idempotencyKey = randomUUID();
      const outcomes = await Promise.allSettled([
        stripe.paymentIntents.create(params, { idempotencyKey }),
        stripe.paymentIntents.create(params, { idempotencyKey }),
      ]);
      const fulfilled = outcomes.filter((outcome) => outcome.status === 'fulfilled');
      const rejected: unknown[] = outcomes.flatMap((outcome) =>
        outcome.status === 'rejected' ? [outcome.reason as unknown] : [],
      );
      expect(fulfilled).toHaveLength(1);
      expect(rejected).toHaveLength(1);
      expect(rejected[0]).toBeInstanceOf(Stripe.errors.StripeError);
      expect(rejected[0]).toMatchObject({ statusCode: 409, code: 'idempotency_key_in_use' });
      expect(emulator.stats().paymentIntentsCreated).toBe(1);
    });

    it('does not store a validation failure, so the key stays usable', async () => {
      const idempotencyKey = randomUUID();
      const invalid = await rejection(
        stripe.paymentIntents.create({ currency: 'usd' } as Stripe.PaymentIntentCreateParams, {
          idempotencyKey,
        }),
      );
      expect(invalid.param).toBe('amount');
      const created = await stripe.paymentIntents.create(
        { amount: 100, currency: 'usd' },
        { idempotencyKey },
      );
      expect(created.lastResponse.headers['idempotent-replayed']).toBeUndefined();
    });

    it('scopes keys to the API key', async () => {
      const idempotencyKey = randomUUID();
      const other = new Stripe('sk_test_other_account', {
        host: '127.0.0.1',
        port: emulator.port,
        protocol: 'http',
        maxNetworkRetries: 0,
      });
      const mine = await stripe.paymentIntents.create(params, { idempotencyKey });
      const theirs = await other.paymentIntents.create(params, { idempotencyKey });
      expect(theirs.id).not.toBe(mine.id);
    });
  });

  describe('fault injection', () => {
    it('fails the next N calls with 500 without executing, then succeeds', async () => {
      emulator.failNext(2, 500, { method: 'POST', path: '/v1/payment_intents' });
      for (let attempt = 0; attempt < 2; attempt += 1) {
        const error = await rejection(paidIntent());
        expect(error).toBeInstanceOf(Stripe.errors.StripeAPIError);
        expect(error.statusCode).toBe(500);
        expect(error.rawType).toBe('api_error');
      }
      expect(emulator.paymentIntents()).toHaveLength(0);
      const intent = await paidIntent();
      expect(intent.status).toBe('succeeded');
      expect(emulator.stats()).toMatchObject({ faults: 2, paymentIntentsCreated: 1 });
    });

    it('does not store an injected failure, so a retry with the same key executes', async () => {
      emulator.failNext(1, 503);
      const idempotencyKey = randomUUID();
      const params = { amount: 100, currency: 'usd' };
      await expect(stripe.paymentIntents.create(params, { idempotencyKey })).rejects.toBeInstanceOf(
        Stripe.errors.StripeAPIError,
      );
      const created = await stripe.paymentIntents.create(params, { idempotencyKey });
      expect(created.lastResponse.headers['idempotent-replayed']).toBeUndefined();
    });

    it('answers 429 as a rate limit', async () => {
      emulator.failNext(1, 429);
      await expect(paidIntent()).rejects.toBeInstanceOf(Stripe.errors.StripeRateLimitError);
    });

    it('only fails calls that match', async () => {
      emulator.failNext(1, 500, { method: 'POST', path: '/v1/refunds' });
      const intent = await paidIntent();
      await expect(stripe.refunds.create({ payment_intent: intent.id })).rejects.toBeInstanceOf(
        Stripe.errors.StripeAPIError,
      );
      await expect(stripe.refunds.create({ payment_intent: intent.id })).resolves.toMatchObject({
        amount: 5000,
      });
    });

    it('adds latency to matching calls until cleared', async () => {
      emulator.addLatency(250, { method: 'GET' });
      const intent = await stripe.paymentIntents.create({ amount: 100, currency: 'usd' });
      const started = Date.now();
      await stripe.paymentIntents.retrieve(intent.id);
      expect(Date.now() - started).toBeGreaterThanOrEqual(240);
      emulator.clearFaults();
      const again = Date.now();
      await stripe.paymentIntents.retrieve(intent.id);
      expect(Date.now() - again).toBeLessThan(200);
    });

    it('commits then drops the response; a retry with the same key gets the same PaymentIntent', async () => {
      // stripe-node retries a reset connection once by itself, with the same key: drop both answers.
      emulator.dropAfterCommit(2, { method: 'POST', path: '/v1/payment_intents' });
      const idempotencyKey = randomUUID();
      const params = { amount: 5000, currency: 'usd', payment_method: 'pm_card_visa', confirm: true };
      const lost = await rejection(stripe.paymentIntents.create(params, { idempotencyKey }));
      expect(lost).toBeInstanceOf(Stripe.errors.StripeConnectionError);
      const [committed] = emulator.paymentIntents();
      expect(emulator.paymentIntents()).toHaveLength(1);
      expect(committed.status).toBe('succeeded');
      expect(emulator.requestLog().map(({ outcome, dropped }) => ({ outcome, dropped }))).toEqual([
        { outcome: 'executed', dropped: true },
        { outcome: 'replayed', dropped: true },
      ]);

      const retried = await stripe.paymentIntents.create(params, { idempotencyKey });
      expect(retried.id).toBe(committed.id);
      expect(retried.lastResponse.headers['idempotent-replayed']).toBe('true');
      expect(emulator.paymentIntents()).toHaveLength(1);
      expect(emulator.stats()).toMatchObject({ paymentIntentsCreated: 1, dropped: 2 });
    });

    it('lets the SDK recover a single dropped response through its own keyed retry', async () => {
      emulator.dropAfterCommit(1, { method: 'POST', path: '/v1/payment_intents' });
      const intent = await paidIntent();
      expect(intent.lastResponse.headers['idempotent-replayed']).toBe('true');
      expect(emulator.paymentIntents().map(({ id }) => id)).toEqual([intent.id]);
    });
  });

  describe('webhooks', () => {
    beforeEach(() => emulator.setWebhookTarget({ url: webhookUrl, secret: WEBHOOK_SECRET }));

    it('delivers signed events for state changes after answering', async () => {
      const idempotencyKey = randomUUID();
      const intent = await stripe.paymentIntents.create(
        { amount: 5000, currency: 'usd', payment_method: 'pm_card_visa', confirm: true },
        { idempotencyKey },
      );
      await emulator.webhooksIdle();
      const [event] = receiver.verifiedEvents(stripe);
      expect(receiver.received).toHaveLength(1);
      expect(receiver.received[0].signature).toMatch(/^t=\d+,v1=[0-9a-f]{64}$/);
      expect(event).toMatchObject({
        object: 'event',
        type: 'payment_intent.succeeded',
        livemode: false,
        pending_webhooks: 1,
        api_version: Stripe.API_VERSION,
        request: { idempotency_key: idempotencyKey },
        data: { object: { id: intent.id, status: 'succeeded' } },
      });
      expect(event.id).toMatch(/^evt_/);
    });

    it.each([
      ['pm_card_chargeDeclined', 'payment_intent.payment_failed'],
      ['pm_card_authenticationRequired', 'payment_intent.requires_action'],
      ['pm_card_processing', 'payment_intent.processing'],
    ])('announces confirming with %s as %s', async (paymentMethod, type) => {
      await stripe.paymentIntents
        .create({ amount: 100, currency: 'usd', payment_method: paymentMethod, confirm: true })
        .catch((error: unknown) => {
          if (!(error instanceof Stripe.errors.StripeCardError)) throw error;
        });
      await emulator.webhooksIdle();
      expect(receiver.verifiedEvents(stripe).map((event) => event.type)).toEqual([type]);
    });

    it('announces cancellations and refunds', async () => {
      const open = await stripe.paymentIntents.create({ amount: 100, currency: 'usd' });
      await stripe.paymentIntents.cancel(open.id);
      const paid = await paidIntent();
      const refund = await stripe.refunds.create({ payment_intent: paid.id, amount: 1500 });
      await emulator.webhooksIdle();
      const events = receiver.verifiedEvents(stripe);
      expect(events.map((event) => event.type)).toEqual([
        'payment_intent.canceled',
        'payment_intent.succeeded',
        'charge.refunded',
        'refund.created',
      ]);
      expect(events[2].data.object).toMatchObject({
        object: 'charge',
        payment_intent: paid.id,
        amount_refunded: 1500,
        refunded: false,
      });
      expect(events[3].data.object).toMatchObject({
        object: 'refund',
        id: refund.id,
        amount: 1500,
        status: 'succeeded',
        failure_reason: null,
      });
    });

    it('keeps events without sending them when auto-delivery is off', async () => {
      emulator.autoDeliverWebhooks = false;
      await paidIntent();
      await emulator.webhooksIdle();
      expect(receiver.received).toHaveLength(0);
      expect(emulator.events().map((event) => event.type)).toEqual(['payment_intent.succeeded']);
    });

    it('delivers one event several times, sequentially or at once', async () => {
      emulator.autoDeliverWebhooks = false;
      const intent = await paidIntent();
      const event = emulator.buildPaymentIntentEvent(intent.id);
      expect(await emulator.deliver(event, { times: 3 })).toEqual([200, 200, 200]);
      expect(await emulator.deliver(event, { times: 4, concurrent: true })).toEqual([200, 200, 200, 200]);
      const ids = receiver.verifiedEvents(stripe).map((received) => received.id);
      expect(ids).toEqual(Array.from({ length: 7 }, () => event.id));
    });

    it('delivers events in reverse order', async () => {
      emulator.autoDeliverWebhooks = false;
      const intent = await paidIntent();
      const refund = await stripe.refunds.create({ payment_intent: intent.id });
      const events: StripeEvent[] = [
        emulator.buildPaymentIntentEvent(intent.id),
        emulator.buildRefundEvent(refund.id, 'charge.refunded'),
        emulator.buildRefundEvent(refund.id),
        emulator.buildRefundEvent(refund.id, 'refund.failed'),
      ];
      expect(events.map((event) => [event.type, event.data.object.object])).toEqual([
        ['payment_intent.succeeded', 'payment_intent'],
        ['charge.refunded', 'charge'],
        ['charge.refund.updated', 'refund'],
        ['refund.failed', 'refund'],
      ]);
      expect(await emulator.deliverAll(events, { order: 'reverse' })).toEqual([200, 200, 200, 200]);
      expect(receiver.verifiedEvents(stripe).map((event) => event.id)).toEqual(
        events.map((event) => event.id).reverse(),
      );
    });

    it('signs with a stale timestamp or a wrong secret on request', async () => {
      emulator.autoDeliverWebhooks = false;
      const event = emulator.buildPaymentIntentEvent((await paidIntent()).id);
      await emulator.deliver(event, { timestamp: Math.floor(Date.now() / 1000) - 3600 });
      await emulator.deliver(event, { secret: 'whsec_not_the_right_one' });
      const [stale, forged] = receiver.received;
      expect(() => stripe.webhooks.constructEvent(stale.body, stale.signature, WEBHOOK_SECRET)).toThrow(
        /Timestamp outside the tolerance zone/,
      );
      expect(() => stripe.webhooks.constructEvent(forged.body, forged.signature, WEBHOOK_SECRET)).toThrow(
        Stripe.errors.StripeSignatureVerificationError,
      );
      const header = emulator.signPayload(stale.body);
      expect(stripe.webhooks.constructEvent(stale.body, header, WEBHOOK_SECRET).id).toBe(event.id);
    });

    it('reports failed deliveries without crashing', async () => {
      emulator.autoDeliverWebhooks = false;
      const event = emulator.buildPaymentIntentEvent((await paidIntent()).id);
      receiver.status = 500;
      expect(await emulator.deliver(event)).toEqual([500]);
      expect(
        await emulator.deliver(event, { target: { url: 'http://127.0.0.1:1/nowhere', secret: 'whsec_x' } }),
      ).toEqual([0]);
      expect(emulator.webhookDeliveries().map(({ status }) => status)).toEqual([500, 0]);
      expect(logger.warn).toHaveBeenCalledTimes(2);
      expect((await stripe.paymentIntents.retrieve(event.data.object.id)).id).toBe(event.data.object.id);
    });

    it('announces a settled processing payment', async () => {
      const intent = await stripe.paymentIntents.create({
        amount: 100,
        currency: 'usd',
        payment_method: 'pm_card_processing',
        confirm: true,
      });
      emulator.settlePaymentIntent(intent.id, 'failed');
      await emulator.webhooksIdle();
      expect(receiver.verifiedEvents(stripe).map((event) => event.type)).toEqual([
        'payment_intent.processing',
        'payment_intent.payment_failed',
      ]);
    });
  });

  describe('customers and saved payment methods', () => {
    const charge = (params: Partial<Stripe.PaymentIntentCreateParams>) =>
      stripe.paymentIntents.create({ amount: 1200, currency: 'usd', confirm: true, ...params });

    it('creates and retrieves a Customer; an unknown one is 404 resource_missing', async () => {
      const created = await stripe.customers.create({
        email: 'ada@example.com',
        name: 'Ada',
        metadata: { tenant: 't-1' },
      });
      expect(created).toMatchObject({
        id: expect.stringMatching(/^cus_/),
        object: 'customer',
        email: 'ada@example.com',
        name: 'Ada',
        metadata: { tenant: 't-1' },
        livemode: false,
      });
      const retrieved = await stripe.customers.retrieve(created.id);
      expect(retrieved).toMatchObject({ id: created.id, email: 'ada@example.com', name: 'Ada' });

      const seeded = emulator.createCustomer({ email: 'bob@example.com' });
      expect(await stripe.customers.retrieve(seeded.id)).toMatchObject({ email: 'bob@example.com' });
      expect(emulator.customers().map((customer) => customer.id)).toEqual([created.id, seeded.id]);

      const missing = await rejection(stripe.customers.retrieve('cus_missing'));
      expect(missing).toBeInstanceOf(Stripe.errors.StripeInvalidRequestError);
      expect(missing).toMatchObject({ statusCode: 404, code: 'resource_missing' });
    });

    it('honours idempotency on Customer creation', async () => {
      const idempotencyKey = randomUUID();
      const first = await stripe.customers.create({ email: 'a@example.com' }, { idempotencyKey });
      const second = await stripe.customers.create({ email: 'a@example.com' }, { idempotencyKey });
      expect(second.id).toBe(first.id);
      expect(second.lastResponse.headers['idempotent-replayed']).toBe('true');
      const reused = await rejection(stripe.customers.create({ email: 'b@example.com' }, { idempotencyKey }));
      expect(reused).toBeInstanceOf(Stripe.errors.StripeIdempotencyError);
      expect(emulator.stats().customersCreated).toBe(1);
    });

    it('finds Customers by metadata through search', async () => {
      const tag = randomUUID();
      const tagged = await stripe.customers.create({ metadata: { tag } });
      await stripe.customers.create({ metadata: { tag: 'other' } });
      const found = await stripe.customers.search({ query: `metadata['tag']:'${tag}'` });
      expect(found.data.map((customer) => customer.id)).toEqual([tagged.id]);
    });

    it('attaching a test PaymentMethod saves a distinct copy of the card for that Customer', async () => {
      const ada = await stripe.customers.create({ name: 'Ada' });
      const bob = await stripe.customers.create({ name: 'Bob' });
      const adas = await stripe.paymentMethods.attach('pm_card_visa', { customer: ada.id });
      const bobs = await stripe.paymentMethods.attach('pm_card_visa', { customer: bob.id });
      expect(adas).toMatchObject({
        id: expect.stringMatching(/^pm_/),
        object: 'payment_method',
        type: 'card',
        customer: ada.id,
        card: { brand: 'visa', last4: '4242' },
      });
      expect(adas.id).not.toBe('pm_card_visa');
      expect(bobs.id).not.toBe(adas.id);
      expect((await stripe.paymentMethods.retrieve(adas.id)).customer).toBe(ada.id);
      expect((await stripe.paymentMethods.attach(adas.id, { customer: ada.id })).id).toBe(adas.id);
      expect(emulator.paymentMethods().map((method) => method.customer)).toEqual([ada.id, bob.id]);

      const taken = await rejection(stripe.paymentMethods.attach(adas.id, { customer: bob.id }));
      expect(taken).toMatchObject({ statusCode: 400, type: 'StripeInvalidRequestError' });
      const noCustomer = await rejection(
        stripe.paymentMethods.attach('pm_card_visa', { customer: 'cus_missing' }),
      );
      expect(noCustomer).toMatchObject({ statusCode: 400, code: 'resource_missing', param: 'customer' });
      const noMethod = await rejection(stripe.paymentMethods.attach('pm_missing', { customer: ada.id }));
      expect(noMethod).toMatchObject({ statusCode: 404, code: 'resource_missing' });
    });

    it('charges a saved PaymentMethod on its own Customer, as the card it was copied from', async () => {
      const ada = await stripe.customers.create({ name: 'Ada' });
      const visa = await stripe.paymentMethods.attach('pm_card_visa', { customer: ada.id });
      const paid = await charge({ customer: ada.id, payment_method: visa.id });
      expect(paid).toMatchObject({ status: 'succeeded', customer: ada.id, payment_method: visa.id });
      expect(emulator.charges()[0]).toMatchObject({ customer: ada.id, payment_method: visa.id });

      const declining = await stripe.paymentMethods.attach('pm_card_chargeDeclined', { customer: ada.id });
      const declined = await rejection(charge({ customer: ada.id, payment_method: declining.id }));
      expect(declined).toBeInstanceOf(Stripe.errors.StripeCardError);
    });

    it('refuses a saved PaymentMethod without its Customer or with another one, on create and confirm', async () => {
      const ada = await stripe.customers.create({ name: 'Ada' });
      const bob = await stripe.customers.create({ name: 'Bob' });
      const visa = await stripe.paymentMethods.attach('pm_card_visa', { customer: ada.id });

      const anonymous = await rejection(charge({ payment_method: visa.id }));
      expect(anonymous).toBeInstanceOf(Stripe.errors.StripeInvalidRequestError);
      expect(anonymous).toMatchObject({ statusCode: 400, param: 'payment_method' });
      expect(anonymous.message).toMatch(new RegExp(`${visa.id}.*belongs to a Customer`));

      const stranger = await rejection(charge({ customer: bob.id, payment_method: visa.id }));
      expect(stranger).toBeInstanceOf(Stripe.errors.StripeInvalidRequestError);
      expect(stranger).toMatchObject({ statusCode: 400, param: 'payment_method' });
      expect(stranger.message).toMatch(new RegExp(`${visa.id}.*attached to a different Customer`));
      expect(emulator.stats().paymentIntentsCreated).toBe(0);

      const bobsIntent = await stripe.paymentIntents.create({
        amount: 500,
        currency: 'usd',
        customer: bob.id,
      });
      const confirmed = await rejection(
        stripe.paymentIntents.confirm(bobsIntent.id, { payment_method: visa.id }),
      );
      expect(confirmed).toMatchObject({ statusCode: 400, param: 'payment_method' });
      const openIntent = await stripe.paymentIntents.create({ amount: 500, currency: 'usd' });
      const unnamed = await rejection(
        stripe.paymentIntents.confirm(openIntent.id, { payment_method: visa.id }),
      );
      expect(unnamed).toMatchObject({ statusCode: 400, param: 'payment_method' });
      expect(emulator.charges()).toHaveLength(0);
    });

    it('refuses a PaymentIntent naming a Customer that does not exist', async () => {
      const error = await rejection(charge({ customer: 'cus_missing', payment_method: 'pm_card_visa' }));
      expect(error).toBeInstanceOf(Stripe.errors.StripeInvalidRequestError);
      expect(error).toMatchObject({ statusCode: 400, code: 'resource_missing', param: 'customer' });
      expect(emulator.stats().paymentIntentsCreated).toBe(0);
    });
  });

  describe('requests in flight', () => {
    const intents = { method: 'POST', path: '/v1/payment_intents' };

    it('counts the API calls being handled and wakes a waiter once enough are', async () => {
      emulator.addLatency(500, intents);
      expect(emulator.stats().requestsInFlight).toBe(0);
      const calls = [paidIntent(), paidIntent()];
      await emulator.whenRequestsInFlight(2, 5000, intents);
      expect(emulator.stats().requestsInFlight).toBe(2);
      expect(emulator.requestsInFlight({ path: '/v1/refunds' })).toBe(0);
      expect(emulator.paymentIntents()).toHaveLength(0);
      await Promise.all(calls);
      expect(emulator.stats()).toMatchObject({ requestsInFlight: 0, paymentIntentsCreated: 2 });
    });

    it('resolves at once when enough are already in flight, and rejects after its timeout', async () => {
      await expect(emulator.whenRequestsInFlight(0)).resolves.toBeUndefined();
      emulator.addLatency(400, intents);
      const call = paidIntent();
      await emulator.whenRequestsInFlight(1, 5000, intents);
      await expect(emulator.whenRequestsInFlight(1, 50, { path: '/v1/refunds' })).rejects.toThrow(
        /Timed out after 50 ms waiting for 1 API request.*\/v1\/refunds.*; 0 are/,
      );
      await expect(emulator.whenRequestsInFlight(2, 50)).rejects.toThrow(/; 1 are/);
      await call;
    });
  });

  describe('forgetting idempotency keys', () => {
    const params = { amount: 700, currency: 'usd', payment_method: 'pm_card_visa', confirm: true };
    const intents = { method: 'POST', path: '/v1/payment_intents' };

    it("lets an old key execute anew, as after Stripe's 24 hours", async () => {
      const idempotencyKey = randomUUID();
      const first = await stripe.paymentIntents.create(params, { idempotencyKey });
      expect(emulator.forgetIdempotencyKeys()).toBe(1);
      const second = await stripe.paymentIntents.create(params, { idempotencyKey });
      expect(second.id).not.toBe(first.id);
      expect(second.lastResponse.headers['idempotent-replayed']).toBeUndefined();
      emulator.forgetIdempotencyKeys();
      await stripe.paymentIntents.create({ ...params, amount: 800 }, { idempotencyKey });
      expect(emulator.stats().paymentIntentsCreated).toBe(3);
    });

    it('keeps the key of a call still running', async () => {
      emulator.addLatency(400, intents);
      const idempotencyKey = randomUUID();
      const running = stripe.paymentIntents.create(params, { idempotencyKey });
      await emulator.whenRequestsInFlight(1, 5000, intents);
      expect(emulator.forgetIdempotencyKeys()).toBe(0);
      const duplicate = await rejection(stripe.paymentIntents.create(params, { idempotencyKey }));
      expect(duplicate).toMatchObject({ statusCode: 409, code: 'idempotency_key_in_use' });
      await running;
      expect(emulator.stats().paymentIntentsCreated).toBe(1);
    });
  });

  describe('control API', () => {
    it('injects faults, reports state and resets over HTTP', async () => {
      const injected = await control('POST', '/faults', { kind: 'fail', status: 503, times: 1 });
      expect(injected.status).toBe(201);
      const error = await rejection(paidIntent());
      expect(error.statusCode).toBe(503);
      await paidIntent();

      const state = (await (await control('GET', '/state')).json()) as {
        paymentIntents: unknown[];
        counters: { faults: number; paymentIntentsCreated: number };
      };
      expect(state.paymentIntents).toHaveLength(1);
      expect(state.counters).toMatchObject({ faults: 1, paymentIntentsCreated: 1 });

      expect((await control('POST', '/reset')).status).toBe(200);
      expect(emulator.paymentIntents()).toHaveLength(0);
    });

    it('rejects a malformed fault', async () => {
      const response = await control('POST', '/faults', { kind: 'explode' });
      expect(response.status).toBe(400);
      expect(emulator.activeFaults()).toHaveLength(0);
    });

    it('configures the webhook target and settles payments over HTTP', async () => {
      expect((await control('PUT', '/webhook', { url: webhookUrl, secret: WEBHOOK_SECRET })).status).toBe(
        200,
      );
      const intent = await stripe.paymentIntents.create({
        amount: 100,
        currency: 'usd',
        payment_method: 'pm_card_authenticationRequired',
        confirm: true,
      });
      const settled = await control('POST', `/payment_intents/${intent.id}/settle`, { outcome: 'succeeded' });
      expect(settled.status).toBe(200);
      await control('POST', '/webhook/idle');
      expect(receiver.verifiedEvents(stripe).map((event) => event.type)).toEqual([
        'payment_intent.requires_action',
        'payment_intent.succeeded',
      ]);
    });

    it('sets the initial refund status, makes Dashboard refunds and moves them over HTTP', async () => {
      const intent = await paidIntent();
      const initial = await control('PUT', '/refunds/initial-status', { status: 'pending' });
      expect(initial.status).toBe(200);
      expect(await initial.json()).toEqual({ status: 'pending' });

      const created = await control('POST', '/refunds', {
        payment_intent: intent.id,
        amount: 700,
        reason: 'duplicate',
      });
      expect(created.status).toBe(200);
      const refund = (await created.json()) as Refund;
      expect(refund).toMatchObject({ object: 'refund', amount: 700, status: 'pending', reason: 'duplicate' });
      const overridden = await control('POST', '/refunds', {
        payment_intent: intent.id,
        amount: 300,
        status: 'succeeded',
      });
      expect(await overridden.json()).toMatchObject({ amount: 300, status: 'succeeded', metadata: {} });

      const moved = await control('POST', `/refunds/${refund.id}/status`, {
        status: 'failed',
        failure_reason: 'insufficient_funds',
      });
      expect(moved.status).toBe(200);
      expect(await moved.json()).toMatchObject({
        id: refund.id,
        status: 'failed',
        failure_reason: 'insufficient_funds',
      });
      expect(await chargeOf(intent)).toMatchObject({ amount_refunded: 300 });
      const state = (await (await control('GET', '/state')).json()) as EmulatorState;
      expect(state.refunds.map(({ status }) => status)).toEqual(['failed', 'succeeded']);
      expect(state.refundInitialStatus).toBe('pending');
    });

    it('refuses bad refund requests over HTTP, changing nothing', async () => {
      const intent = await paidIntent();
      const refund = await stripe.refunds.create({ payment_intent: intent.id, amount: 1000 });
      const answers = await Promise.all([
        control('PUT', '/refunds/initial-status', { status: 'failed' }),
        control('POST', '/refunds', { amount: 100 }),
        control('POST', '/refunds', { payment_intent: intent.id, amount: 4001 }),
        control('POST', '/refunds', { payment_intent: intent.id, status: 'canceled' }),
        control('POST', '/refunds', { payment_intent: 'pi_missing' }),
        control('POST', `/refunds/${refund.id}/status`, { status: 'pending' }),
        control('POST', `/refunds/${refund.id}/status`, { status: 'failed', failure_reason: 'bored' }),
        control('POST', `/refunds/${refund.id}/status`, {}),
        control('POST', '/refunds/re_missing/status', { status: 'failed' }),
      ]);
      const bodies = await Promise.all(
        answers.map(async (answer) => ({
          status: answer.status,
          message: ((await answer.json()) as { error: { message: string } }).error.message,
        })),
      );
      expect(bodies).toEqual([
        { status: 400, message: 'status must be one of succeeded, pending, requires_action' },
        { status: 400, message: 'payment_intent must be a non-empty string' },
        { status: 400, message: 'Refund amount (4001) is greater than unrefunded amount on charge (4000).' },
        { status: 400, message: 'status must be one of succeeded, pending, requires_action' },
        { status: 404, message: "No such payment_intent: 'pi_missing'" },
        { status: 400, message: `Refund ${refund.id} is succeeded; it cannot become pending.` },
        {
          status: 400,
          message: expect.stringMatching(/^failure_reason must be one of lost_or_stolen_card, /),
        },
        { status: 400, message: expect.stringMatching(/^status must be one of pending, requires_action, /) },
        { status: 404, message: "No such refund: 're_missing'" },
      ]);
      expect(emulator.refunds()).toEqual([await stripe.refunds.retrieve(refund.id)]);
      expect(emulator.refunds()[0].status).toBe('succeeded');
      expect(emulator.state().refundInitialStatus).toBe('succeeded');
    });

    it('waits for calls in flight and forgets idempotency keys over HTTP', async () => {
      emulator.addLatency(400, { path: '/v1/payment_intents' });
      const call = paidIntent();
      const waited = await control('POST', '/requests-in-flight/wait', {
        count: 1,
        method: 'POST',
        path: '/v1/payment_intents',
      });
      expect(waited.status).toBe(200);
      expect(await waited.json()).toEqual({ requestsInFlight: 1 });
      const state = (await (await control('GET', '/state')).json()) as {
        counters: { requestsInFlight: number };
      };
      expect(state.counters.requestsInFlight).toBe(1);
      const timedOut = await control('POST', '/requests-in-flight/wait', { count: 2, timeoutMs: 50 });
      expect(timedOut.status).toBe(408);
      await call;

      await stripe.paymentIntents.create({ amount: 100, currency: 'usd' }, { idempotencyKey: randomUUID() });
      const forgotten = (await (await control('POST', '/idempotency/forget')).json()) as {
        forgotten: number;
      };
      expect(forgotten.forgotten).toBeGreaterThanOrEqual(1);
      expect(await (await control('POST', '/idempotency/forget')).json()).toEqual({ forgotten: 0 });
    });
  });
});
