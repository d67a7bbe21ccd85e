import type Stripe from 'stripe';
import { AppException } from '../../src/common/errors/app.exception';
import type { IdempotentExecution } from '../../src/idempotency';
import { PaymentTransaction } from '../../src/payments/entities/payment-transaction.entity';
import { PaymentsModule } from '../../src/payments/payments.module';
import { PaymentCreationService } from '../../src/payments/payment-creation.service';
import { PaymentRepository } from '../../src/payments/payment.repository';
import { StripeErrorCode, StripeException } from '../../src/stripe/stripe.exception';
import { backdateRow, buildExecution, lostLease, reExecution } from './support/fixture.builders';
import { createMediumModule, MediumModule } from './support/medium-module';
import { rejectionOf } from './support/rejection';
import { stripeFailures } from './support/stripe-failures';

describe(PaymentCreationService.name, () => {
  let medium: MediumModule;
  let payments: PaymentCreationService;

  beforeAll(async () => {
    medium = await createMediumModule([PaymentsModule]);
    payments = medium.moduleRef.get(PaymentCreationService);
  });
  beforeEach(() => medium.stripe.reset());
  afterAll(() => medium.close());

  const dto = { amount: 1500, currency: 'usd', paymentMethodId: 'pm_card_visa' };
  const rowOf = (execution: IdempotentExecution) =>
    medium.dataSource.getRepository(PaymentTransaction).findOneByOrFail({
      tenantId: execution.tenantId,
      userId: execution.userId,
      idempotencyKey: execution.key,
    });
  const declinedIntent = (): Stripe.PaymentIntent =>
    medium.stripe.paymentIntent({
      status: 'requires_payment_method',
      last_payment_error: {
        type: 'card_error',
        code: 'card_declined',
      },
    });

  describe('a definite refusal', () => {
    interface Case {
      name: string;
      failure: () => StripeException;
      withIntent: boolean;
      failureCode: StripeErrorCode;
      declineCode: string | null;
      details: Record<string, unknown>;
    }
    const cases: Case[] = [
      {
        name: 'a declined card with its PaymentIntent',
        failure: () => stripeFailures.declined('insufficient_funds', declinedIntent()),
        withIntent: true,
        failureCode: StripeErrorCode.CARD_DECLINED,
        declineCode: 'insufficient_funds',
        details: { declineCode: 'insufficient_funds' },
      },
      {
        name: 'a declined card without a PaymentIntent',
        failure: () => stripeFailures.declined('card_velocity_exceeded'),
        withIntent: false,
        failureCode: StripeErrorCode.CARD_DECLINED,
        declineCode: 'card_velocity_exceeded',
        details: { declineCode: 'card_velocity_exceeded' },
      },
      {
        name: 'an unusable payment method',
        failure: () => stripeFailures.paymentMethodInvalid(),
        withIntent: false,
        failureCode: StripeErrorCode.PAYMENT_METHOD_INVALID,
        declineCode: null,
        details: { field: 'paymentMethodId' },
      },
      {
        name: 'a final rejection of the request',
        failure: () => stripeFailures.rejected('amount_too_small'),
        withIntent: false,
        failureCode: StripeErrorCode.PAYMENT_PROVIDER_REJECTED,
        declineCode: null,
        details: {},
      },
    ];

    it.each(cases)(
      'records $name as our code and Stripe’s, and answers it identically when executed again',
      async ({ failure, withIntent, failureCode, declineCode, details }) => {
        const execution = buildExecution();
        const refusal = failure();
        medium.stripe.stub.createPaymentIntent.failsOnce(refusal);

        const first = await rejectionOf(payments.processPayment(execution, dto));

        const row = await rowOf(execution);
        expect(row).toMatchObject({
          status: 'failed',
          failureCode,
          declineCode,
          stripePaymentIntentId: withIntent ? refusal.paymentIntent?.id : null,
        });
        expect(first).toBeInstanceOf(StripeException);
        expect((first as AppException).toBody()).toEqual({
          statusCode: (first as AppException).status,
          code: failureCode,
          message: refusal.message,
          details: { paymentId: row.id, ...details },
        });

        const again = await rejectionOf(payments.processPayment(reExecution(execution), dto));

        expect((again as AppException).toBody()).toEqual((first as AppException).toBody());
        expect(medium.stripe.stub.createPaymentIntent.calls).toHaveLength(1);
      },
    );
  });

  it('records a refusal’s event once, also when a retry that read the row before it applies it again', async () => {
    const execution = buildExecution();
    const refusal = stripeFailures.declined('generic_decline');
    medium.stripe.stub.createPaymentIntent.failsOnce(refusal);
    await rejectionOf(payments.processPayment(execution, dto));
    const failed = await rowOf(execution);
    const staleView = { ...failed, status: 'processing' } as PaymentTransaction;

    const again = await medium.moduleRef
      .get(PaymentRepository)
      .markFailed(staleView, { code: StripeErrorCode.CARD_DECLINED, declineCode: 'generic_decline' });

    expect(again).toMatchObject({ id: failed.id, status: 'failed', updatedAt: failed.updatedAt });
    const events = await medium.dataSource.query<Array<{ type: string; previous_status: string }>>(
      'SELECT type, previous_status FROM events WHERE payment_id = $1 ORDER BY sequence',
      [failed.id],
    );
    expect(events).toEqual([
      { type: 'payment.processing', previous_status: null },
      { type: 'payment.failed', previous_status: 'processing' },
    ]);
  });

  describe('an unknown outcome', () => {
    it('leaves the row retryable, and the retry completes it with the same Stripe key', async () => {
      const execution = buildExecution();
      medium.stripe.stub.createPaymentIntent.losesAnswerOnce();

      await expect(payments.processPayment(execution, dto)).rejects.toMatchObject({
        code: StripeErrorCode.PAYMENT_PROVIDER_UNAVAILABLE,
      });
      const left = await rowOf(execution);
      expect(left).toMatchObject({ status: 'processing', stripePaymentIntentId: null, failureCode: null });
      expect(left.stripeFirstAttemptAt).toBeInstanceOf(Date);

      const completed = await payments.processPayment(reExecution(execution), dto);

      const calls = medium.stripe.stub.createPaymentIntent.calls;
      expect(calls).toHaveLength(2);
      expect(calls[1][1]).toBe(calls[0][1]);
      expect(completed).toMatchObject({ id: left.id, status: 'succeeded' });
      expect(completed.stripePaymentIntentId).toMatch(/^pi_fake_/);
    });
  });

  describe('past Stripe’s idempotency window', () => {
    const pastWindow = () => medium.config.stripe.idempotencyWindowSeconds + 60;

    it('finds the PaymentIntent Stripe made by the payment id and creates nothing', async () => {
      const execution = buildExecution();
      medium.stripe.stub.createPaymentIntent.losesAnswerOnce();
      await expect(payments.processPayment(execution, dto)).rejects.toThrow(StripeException);
      const row = await rowOf(execution);
      await backdateRow(
        medium.dataSource,
        'payment_transactions',
        row.id,
        'stripe_first_attempt_at',
        pastWindow(),
      );

      const completed = await payments.processPayment(reExecution(execution), dto);

      expect(medium.stripe.stub.findPaymentIntentByMetadata.calls).toEqual([['ps_payment_id', row.id]]);
      expect(medium.stripe.stub.createPaymentIntent.calls).toHaveLength(1);
      expect(completed).toMatchObject({ id: row.id, status: 'succeeded' });
    });

    it('creates the PaymentIntent when the search finds none', async () => {
      const execution = buildExecution();
      medium.stripe.stub.createPaymentIntent.failsOnce(stripeFailures.unavailable());
      await expect(payments.processPayment(execution, dto)).rejects.toThrow(StripeException);
      const row = await rowOf(execution);
      await backdateRow(
        medium.dataSource,
        'payment_transactions',
        row.id,
        'stripe_first_attempt_at',
        pastWindow(),
      );

      const completed = await payments.processPayment(reExecution(execution), dto);

      expect(medium.stripe.stub.findPaymentIntentByMetadata.calls).toHaveLength(1);
      expect(medium.stripe.stub.createPaymentIntent.calls).toHaveLength(2);
      expect(completed).toMatchObject({ id: row.id, status: 'succeeded' });
    });
  });

  describe('a lost lease', () => {
    /** Held for the first `checks` checks, lost from then on. */
    const heldFor = (checks: number) => {
      let made = 0;
      const lost = lostLease();
      return () => (++made <= checks ? Promise.resolve() : lost());
    };
    const untouched = {
      status: 'processing',
      stripePaymentIntentId: null,
      failureCode: null,
      declineCode: null,
    };

    it('stops before Stripe is called', async () => {
      const execution = buildExecution({ ensureHeld: lostLease() });

      await expect(payments.processPayment(execution, dto)).rejects.toMatchObject({
        code: 'DUPLICATE_IN_PROGRESS',
      });
      expect(medium.stripe.stub.createPaymentIntent.calls).toHaveLength(0);
      // The first attempt is stamped with the row itself (recovery point 1): an early stamp only
      // makes a retry past Stripe's window look the PaymentIntent up before creating it.
      expect(await rowOf(execution)).toMatchObject(untouched);
    });

    it('does not settle Stripe’s answer on the row', async () => {
      const execution = buildExecution({ ensureHeld: heldFor(1) });

      await expect(payments.processPayment(execution, dto)).rejects.toMatchObject({
        code: 'DUPLICATE_IN_PROGRESS',
      });
      expect(medium.stripe.stub.createPaymentIntent.calls).toHaveLength(1);
      expect(await rowOf(execution)).toMatchObject(untouched);
    });

    it('does not record Stripe’s refusal on the row', async () => {
      const execution = buildExecution({ ensureHeld: heldFor(1) });
      medium.stripe.stub.createPaymentIntent.failsOnce(
        stripeFailures.declined('insufficient_funds', declinedIntent()),
      );

      await expect(payments.processPayment(execution, dto)).rejects.toMatchObject({
        code: 'DUPLICATE_IN_PROGRESS',
      });
      expect(await rowOf(execution)).toMatchObject(untouched);
    });
  });

  describe('intents', () => {
    it('answers a completed intent again from Stripe without creating another', async () => {
      const execution = buildExecution();
      const first = await payments.createIntent(execution, { amount: 700, currency: 'eur' });

      const again = await payments.createIntent(reExecution(execution), { amount: 700, currency: 'eur' });

      expect(again).toEqual(first);
      expect(medium.stripe.stub.createPaymentIntent.calls).toHaveLength(1);
      expect(medium.stripe.stub.retrievePaymentIntent.calls).toEqual([[first.payment.stripePaymentIntentId]]);
    });

    it('answers a refused intent again without asking Stripe', async () => {
      const execution = buildExecution();
      medium.stripe.stub.createPaymentIntent.failsOnce(stripeFailures.rejected('amount_too_small'));
      const first = await rejectionOf(payments.createIntent(execution, { amount: 700, currency: 'eur' }));

      const again = await rejectionOf(
        payments.createIntent(reExecution(execution), { amount: 700, currency: 'eur' }),
      );

      expect((again as AppException).toBody()).toEqual((first as AppException).toBody());
      expect(medium.stripe.stub.createPaymentIntent.calls).toHaveLength(1);
    });
  });
});
