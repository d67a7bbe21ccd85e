import { PaymentTransaction } from '../../src/payments/entities/payment-transaction.entity';
import { Refund } from '../../src/refunds/entities/refund.entity';
import { RefundErrorCode } from '../../src/refunds/refund.exception';
import { RefundsModule } from '../../src/refunds/refunds.module';
import { RefundsService } from '../../src/refunds/refunds.service';
import { StripeErrorCode } from '../../src/stripe/stripe.exception';
import {
  backdateRow,
  buildExecution,
  insertPayment,
  insertRefund,
  lostLease,
  reExecution,
} from './support/fixture.builders';
import { createMediumModule, MediumModule } from './support/medium-module';
import { stripeFailures } from './support/stripe-failures';

describe(RefundsService.name, () => {
  let medium: MediumModule;
  let refunds: RefundsService;

  beforeAll(async () => {
    medium = await createMediumModule([RefundsModule]);
    refunds = medium.moduleRef.get(RefundsService);
  });
  beforeEach(() => medium.stripe.reset());
  afterAll(() => medium.close());

  const refundsOf = (payment: PaymentTransaction) =>
    medium.dataSource
      .getRepository(Refund)
      .find({ where: { paymentId: payment.id }, order: { createdAt: 'ASC' } });
  const reload = (payment: PaymentTransaction) =>
    medium.dataSource.getRepository(PaymentTransaction).findOneByOrFail({ id: payment.id });
  const executionFor = (payment: PaymentTransaction) => buildExecution({ tenantId: payment.tenantId });

  describe('after an unknown outcome', () => {
    it('keeps the reservation, and the retry resumes the same refund and settles it from Stripe’s answer', async () => {
      const payment = await insertPayment(medium.dataSource);
      const execution = executionFor(payment);
      const dto = { paymentId: payment.id, amount: 400 };
      medium.stripe.stub.createRefund.losesAnswerOnce();

      await expect(refunds.refund(execution, dto)).rejects.toMatchObject({
        code: StripeErrorCode.PAYMENT_PROVIDER_UNAVAILABLE,
      });
      const [kept] = await refundsOf(payment);
      expect(kept).toMatchObject({ status: 'pending', amount: 400, stripeRefundId: null });
      // The 400 Stripe may have refunded is still held: 700 more only fits once it settles.
      await expect(
        refunds.refund(executionFor(payment), { paymentId: payment.id, amount: 700 }),
      ).rejects.toMatchObject({
        code: RefundErrorCode.REFUND_IN_PROGRESS,
      });

      const settled = await refunds.refund(reExecution(execution), dto);

      const calls = medium.stripe.stub.createRefund.calls;
      expect(calls).toHaveLength(2);
      expect(calls[1]).toEqual(calls[0]);
      expect(settled).toMatchObject({ id: kept.id, status: 'succeeded', amount: 400 });
      expect(settled.stripeRefundId).toMatch(/^re_fake_/);
      expect(await refundsOf(payment)).toHaveLength(1);
      expect(await reload(payment)).toMatchObject({ amountRefunded: 400, status: 'partially_refunded' });
    });
  });

  describe('after a definite refusal', () => {
    it('gives the reservation back, and the retry reserves again for the amount it asked Stripe for', async () => {
      const payment = await insertPayment(medium.dataSource, {
        amountRefunded: 300,
        status: 'partially_refunded',
      });
      await insertRefund(medium.dataSource, payment, {
        amount: 300,
        status: 'succeeded',
        stripeRefundId: 're_earlier_300',
      });
      const execution = executionFor(payment);
      // No amount: whatever is left, 700 when first asked.
      const dto = { paymentId: payment.id };
      medium.stripe.stub.createRefund.failsOnce(stripeFailures.rejected('charge_disputed', 'charge'));

      await expect(refunds.refund(execution, dto)).rejects.toMatchObject({
        code: StripeErrorCode.PAYMENT_PROVIDER_REJECTED,
      });
      const [, refused] = await refundsOf(payment);
      expect(refused).toMatchObject({
        status: 'failed',
        amount: 700,
        stripeRefundId: null,
        failureReason: 'charge_disputed',
      });

      const settled = await refunds.refund(reExecution(execution), dto);

      expect(medium.stripe.stub.createRefund.calls.map(([input]) => input.amount)).toEqual([700, 700]);
      expect(settled).toMatchObject({ id: refused.id, status: 'succeeded', amount: 700 });
      expect(await reload(payment)).toMatchObject({ amountRefunded: 1000, status: 'refunded' });
    });

    it('answers REFUND_EXCEEDS_PAYMENT on retry when less is left than it first asked for', async () => {
      const payment = await insertPayment(medium.dataSource);
      const execution = executionFor(payment);
      const dto = { paymentId: payment.id };
      medium.stripe.stub.createRefund.failsOnce(stripeFailures.rejected('charge_disputed', 'charge'));
      await expect(refunds.refund(execution, dto)).rejects.toMatchObject({
        code: StripeErrorCode.PAYMENT_PROVIDER_REJECTED,
      });
      await refunds.refund(executionFor(payment), { paymentId: payment.id, amount: 200 });

      await expect(refunds.refund(reExecution(execution), dto)).rejects.toMatchObject({
        code: RefundErrorCode.REFUND_EXCEEDS_PAYMENT,
        details: { remaining: 800, requested: 1000 },
      });
      expect(medium.stripe.stub.createRefund.calls).toHaveLength(2);
      expect(await reload(payment)).toMatchObject({ amountRefunded: 200 });
    });
  });

  describe('two executions of one key settling at once', () => {
    it('adds the refunded amount once, whichever settles second', async () => {
      const payment = await insertPayment(medium.dataSource);
      const execution = executionFor(payment);
      const dto = { paymentId: payment.id, amount: 400 };
      const first = medium.stripe.stub.createRefund.hangsOnce();
      const second = medium.stripe.stub.createRefund.hangsOnce();

      const running = refunds.refund(reExecution(execution), dto);
      await first.reached;
      // A retry that took the key over resumes the pending row and asks Stripe again.
      const retry = refunds.refund(reExecution(execution), dto);
      await second.reached;
      first.release();
      second.release();
      const [a, b] = await Promise.all([running, retry]);

      expect(a).toEqual(b);
      expect(a).toMatchObject({ status: 'succeeded', amount: 400 });
      expect(await refundsOf(payment)).toHaveLength(1);
      expect(await reload(payment)).toMatchObject({ amountRefunded: 400, status: 'partially_refunded' });
    });

    it('does not add the amount again when the row was settled while Stripe answered', async () => {
      const payment = await insertPayment(medium.dataSource);
      const execution = executionFor(payment);
      const held = medium.stripe.stub.createRefund.hangsOnce();
      const running = refunds.refund(execution, { paymentId: payment.id, amount: 400 });
      await held.reached;
      const [row] = await refundsOf(payment);
      // Settled meanwhile by another execution of the key (Stripe replayed it the same refund),
      // under the payment's lock.
      await medium.dataSource.transaction(async (manager) => {
        await manager.update(
          Refund,
          { id: row.id },
          { status: 'succeeded', stripeRefundId: 're_settled_elsewhere' },
        );
        await manager.update(
          PaymentTransaction,
          { id: payment.id },
          { amountRefunded: 400, status: 'partially_refunded' },
        );
      });
      held.release(
        medium.stripe.refund({
          id: 're_settled_elsewhere',
          amount: 400,
          payment_intent: payment.stripePaymentIntentId,
          metadata: { ps_refund_id: row.id },
        }),
      );

      await expect(running).resolves.toMatchObject({ id: row.id, stripeRefundId: 're_settled_elsewhere' });
      expect(await reload(payment)).toMatchObject({ amountRefunded: 400 });
    });
  });

  describe('past Stripe’s idempotency window', () => {
    const pastWindow = () => medium.config.stripe.idempotencyWindowSeconds + 60;

    it('finds the refund Stripe made and creates nothing', async () => {
      const payment = await insertPayment(medium.dataSource);
      const execution = executionFor(payment);
      const dto = { paymentId: payment.id, amount: 250 };
      medium.stripe.stub.createRefund.losesAnswerOnce();
      await expect(refunds.refund(execution, dto)).rejects.toMatchObject({
        code: StripeErrorCode.PAYMENT_PROVIDER_UNAVAILABLE,
      });
      const [row] = await refundsOf(payment);
      await backdateRow(medium.dataSource, 'refunds', row.id, 'stripe_first_attempt_at', pastWindow());

      const settled = await refunds.refund(reExecution(execution), dto);

      expect(medium.stripe.stub.findRefundByMetadata.calls).toEqual([
        [payment.stripePaymentIntentId, 'ps_refund_id', row.id],
      ]);
      expect(medium.stripe.stub.createRefund.calls).toHaveLength(1);
      expect(settled).toMatchObject({ id: row.id, status: 'succeeded' });
      expect(await reload(payment)).toMatchObject({ amountRefunded: 250 });
    });

    it('creates the refund when Stripe has none', async () => {
      const payment = await insertPayment(medium.dataSource);
      const execution = executionFor(payment);
      const dto = { paymentId: payment.id, amount: 250 };
      medium.stripe.stub.createRefund.failsOnce(stripeFailures.unavailable());
      await expect(refunds.refund(execution, dto)).rejects.toMatchObject({
        code: StripeErrorCode.PAYMENT_PROVIDER_UNAVAILABLE,
      });
      const [row] = await refundsOf(payment);
      await backdateRow(medium.dataSource, 'refunds', row.id, 'stripe_first_attempt_at', pastWindow());

      const settled = await refunds.refund(reExecution(execution), dto);

      expect(medium.stripe.stub.findRefundByMetadata.calls).toHaveLength(1);
      expect(medium.stripe.stub.createRefund.calls).toHaveLength(2);
      expect(settled).toMatchObject({ id: row.id, status: 'succeeded' });
    });

    it('asks Stripe again without searching while the window is open', async () => {
      const payment = await insertPayment(medium.dataSource);
      const execution = executionFor(payment);
      const dto = { paymentId: payment.id, amount: 250 };
      medium.stripe.stub.createRefund.losesAnswerOnce();
      await expect(refunds.refund(execution, dto)).rejects.toThrow();

      await refunds.refund(reExecution(execution), dto);

      expect(medium.stripe.stub.findRefundByMetadata.calls).toHaveLength(0);
      expect(medium.stripe.stub.createRefund.calls).toHaveLength(2);
    });
  });

  describe('what is left to refund', () => {
    it('is REFUND_IN_PROGRESS when the amount only fits once a pending refund fails, and stores nothing', async () => {
      const payment = await insertPayment(medium.dataSource);
      await insertRefund(medium.dataSource, payment, { amount: 600 });

      await expect(
        refunds.refund(executionFor(payment), { paymentId: payment.id, amount: 500 }),
      ).rejects.toMatchObject({
        code: RefundErrorCode.REFUND_IN_PROGRESS,
        details: { pending: 600 },
        headers: { 'Retry-After': '5' },
      });
      expect(await refundsOf(payment)).toHaveLength(1);
    });

    it('is REFUND_IN_PROGRESS for "the rest" while pending refunds hold all of it', async () => {
      const payment = await insertPayment(medium.dataSource);
      await insertRefund(medium.dataSource, payment, { amount: 1000 });

      await expect(refunds.refund(executionFor(payment), { paymentId: payment.id })).rejects.toMatchObject({
        code: RefundErrorCode.REFUND_IN_PROGRESS,
      });
    });

    it('is REFUND_EXCEEDS_PAYMENT when the amount would not fit even if every pending refund failed', async () => {
      const payment = await insertPayment(medium.dataSource, {
        amountRefunded: 200,
        status: 'partially_refunded',
      });
      await insertRefund(medium.dataSource, payment, { amount: 600 });

      await expect(
        refunds.refund(executionFor(payment), { paymentId: payment.id, amount: 900 }),
      ).rejects.toMatchObject({
        code: RefundErrorCode.REFUND_EXCEEDS_PAYMENT,
        details: { remaining: 200, requested: 900 },
      });
    });

    it('is REFUND_EXCEEDS_PAYMENT for a fully refunded payment', async () => {
      const payment = await insertPayment(medium.dataSource, { amountRefunded: 1000, status: 'refunded' });

      await expect(refunds.refund(executionFor(payment), { paymentId: payment.id })).rejects.toMatchObject({
        code: RefundErrorCode.REFUND_EXCEEDS_PAYMENT,
        details: { remaining: 0 },
      });
      expect(medium.stripe.stub.createRefund.calls).toHaveLength(0);
    });

    it.each(['amount_too_large', 'charge_already_refunded'])(
      'is REFUND_EXCEEDS_PAYMENT when Stripe refuses with %s, and gives the reservation back',
      async (providerCode) => {
        const payment = await insertPayment(medium.dataSource);
        medium.stripe.stub.createRefund.failsOnce(stripeFailures.rejected(providerCode));

        await expect(
          refunds.refund(executionFor(payment), { paymentId: payment.id, amount: 300 }),
        ).rejects.toMatchObject({
          code: RefundErrorCode.REFUND_EXCEEDS_PAYMENT,
          details: { providerCode },
        });
        expect(await refundsOf(payment)).toMatchObject([{ status: 'failed', amount: 300 }]);
        await expect(refunds.refund(executionFor(payment), { paymentId: payment.id })).resolves.toMatchObject(
          {
            amount: 1000,
          },
        );
      },
    );
  });

  describe('Stripe’s answer', () => {
    it.each([
      ['pending', 'pending', 300, 'partially_refunded'],
      ['requires_action', 'requires_action', 300, 'partially_refunded'],
      ['failed', 'failed', 0, 'succeeded'],
      ['canceled', 'canceled', 0, 'succeeded'],
    ] as const)(
      'a refund Stripe answers %s is recorded %s, and Stripe counts %d of it as refunded',
      async (stripeStatus, status, counted, paymentStatus) => {
        const payment = await insertPayment(medium.dataSource);
        medium.stripe.stub.createRefund.answersOnce(
          medium.stripe.refund({
            status: stripeStatus,
            amount: 300,
            payment_intent: payment.stripePaymentIntentId,
          }),
        );

        const refund = await refunds.refund(executionFor(payment), { paymentId: payment.id, amount: 300 });

        expect(refund).toMatchObject({ status, stripeRefundId: expect.stringMatching(/^re_fake_/) });
        expect(await reload(payment)).toMatchObject({ amountRefunded: counted, status: paymentStatus });
      },
    );
  });

  describe('a settled refund and a lost lease', () => {
    it('answers a settled refund again without asking Stripe', async () => {
      const payment = await insertPayment(medium.dataSource);
      const execution = executionFor(payment);
      const first = await refunds.refund(execution, { paymentId: payment.id, amount: 100 });

      await expect(
        refunds.refund(reExecution(execution), { paymentId: payment.id, amount: 100 }),
      ).resolves.toEqual(first);
      expect(medium.stripe.stub.createRefund.calls).toHaveLength(1);
    });

    it('stops before Stripe when the key was taken over, keeping the reservation', async () => {
      const payment = await insertPayment(medium.dataSource);

      await expect(
        refunds.refund(buildExecution({ tenantId: payment.tenantId, ensureHeld: lostLease() }), {
          paymentId: payment.id,
          amount: 100,
        }),
      ).rejects.toMatchObject({ code: 'DUPLICATE_IN_PROGRESS' });
      expect(medium.stripe.stub.createRefund.calls).toHaveLength(0);
      expect(await refundsOf(payment)).toMatchObject([{ status: 'pending', stripeRefundId: null }]);
    });
  });
});
