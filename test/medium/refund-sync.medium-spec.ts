import { PaymentTransaction } from '../../src/payments/entities/payment-transaction.entity';
import { Refund } from '../../src/refunds/entities/refund.entity';
import { RefundErrorCode } from '../../src/refunds/refund.exception';
import { RefundSync } from '../../src/refunds/refund-sync.service';
import { RefundsModule } from '../../src/refunds/refunds.module';
import { RefundsService } from '../../src/refunds/refunds.service';
import { StripeErrorCode } from '../../src/stripe/stripe.exception';
import { backdateRow, buildExecution, insertPayment } from './support/fixture.builders';
import { createMediumModule, MediumModule } from './support/medium-module';
import { stripeFailures } from './support/stripe-failures';

describe(RefundSync.name, () => {
  let medium: MediumModule;
  let sync: RefundSync;
  let refunds: RefundsService;

  beforeAll(async () => {
    medium = await createMediumModule([RefundsModule]);
    sync = medium.moduleRef.get(RefundSync);
    refunds = medium.moduleRef.get(RefundsService);
  });
  beforeEach(() => medium.stripe.reset());
  afterAll(() => medium.close());

  const rowsOf = (payment: PaymentTransaction) =>
    medium.dataSource
      .getRepository(Refund)
      .find({ where: { paymentId: payment.id }, order: { createdAt: 'ASC', id: 'ASC' } });
  const reload = (payment: PaymentTransaction) =>
    medium.dataSource.getRepository(PaymentTransaction).findOneByOrFail({ id: payment.id });
  const refund = (payment: PaymentTransaction, amount?: number) =>
    refunds.refund(buildExecution({ tenantId: payment.tenantId }), { paymentId: payment.id, amount });
  const intentOf = (payment: PaymentTransaction) => payment.stripePaymentIntentId as string;

  it('records a refund made outside the API, with its Stripe id, and caps what the API may still refund', async () => {
    const payment = await insertPayment(medium.dataSource);
    const outside = medium.stripe.refundOutside(intentOf(payment), 300);

    await expect(sync.sync(payment)).resolves.toMatchObject({ ours: 0, stripe: 300 });

    expect(await rowsOf(payment)).toMatchObject([
      { source: 'outside', amount: 300, status: 'succeeded', stripeRefundId: outside.id, userId: null },
    ]);
    expect(await reload(payment)).toMatchObject({ amountRefunded: 300, status: 'partially_refunded' });
    await expect(refund(payment, 701)).rejects.toMatchObject({
      code: RefundErrorCode.REFUND_EXCEEDS_PAYMENT,
      details: { remaining: 700 },
    });
  });

  it('gives back a refund that fails after it succeeded: the payment is refundable in full again', async () => {
    const payment = await insertPayment(medium.dataSource);
    const outside = medium.stripe.refundOutside(intentOf(payment), 1000);
    await sync.sync(payment);
    expect(await reload(payment)).toMatchObject({ amountRefunded: 1000, status: 'refunded' });

    medium.stripe.setRefundStatus(outside.id, 'failed', 'expired_or_canceled_card');
    await sync.sync(payment);

    expect(await rowsOf(payment)).toMatchObject([
      { status: 'failed', failureReason: 'expired_or_canceled_card' },
    ]);
    expect(await reload(payment)).toMatchObject({ amountRefunded: 0, status: 'succeeded' });
    await expect(refund(payment)).resolves.toMatchObject({ amount: 1000, status: 'succeeded' });
    expect(await reload(payment)).toMatchObject({ amountRefunded: 1000, status: 'refunded' });
  });

  it('keeps a newer status when an older answer arrives after it: the request’s `succeeded` does not revive a failed refund', async () => {
    const payment = await insertPayment(medium.dataSource);
    const held = medium.stripe.stub.createRefund.hangsOnce();
    const running = refund(payment, 400);
    const [input, key] = await held.reached;
    // Stripe makes the refund, it bounces, and the news is read before the request hears back.
    const answer = { ...medium.stripe.createRefundOnce(input, key) };
    medium.stripe.setRefundStatus(answer.id, 'failed', 'declined');
    await sync.sync(payment);
    held.release(answer);

    await expect(running).resolves.toMatchObject({ status: 'failed', stripeRefundId: answer.id });
    expect(await reload(payment)).toMatchObject({ amountRefunded: 0, status: 'succeeded' });
  });

  it('counts an API refund lost to an outage, then released, apart from a refund made meanwhile outside the API', async () => {
    const payment = await insertPayment(medium.dataSource);
    medium.stripe.stub.createRefund.failsOnce(stripeFailures.unavailable());
    await expect(refund(payment, 300)).rejects.toMatchObject({
      code: StripeErrorCode.PAYMENT_PROVIDER_UNAVAILABLE,
    });
    const [lost] = await rowsOf(payment);
    medium.stripe.refundOutside(intentOf(payment), 300);
    await sync.sync(payment);
    await backdateRow(medium.dataSource, 'refunds', lost.id, 'updated_at', 3600);
    await backdateRow(medium.dataSource, 'refunds', lost.id, 'stripe_first_attempt_at', 3600);

    await expect(refunds.reconcile({ ...lost, attempted: true }, 600)).resolves.toMatchObject({
      outcome: 'released',
    });

    expect(await rowsOf(payment)).toMatchObject([
      { id: lost.id, status: 'failed', failureReason: 'not_created', stripeRefundId: null },
      { source: 'outside', amount: 300, status: 'succeeded' },
    ]);
    expect(await reload(payment)).toMatchObject({ amountRefunded: 300, status: 'partially_refunded' });
  });

  it('shares one read of Stripe among syncs for news received before it began', async () => {
    const payment = await insertPayment(medium.dataSource);
    medium.stripe.refundOutside(intentOf(payment), 100);
    const received = new Date();

    await Promise.all(Array.from({ length: 8 }, () => sync.sync(payment, { since: received })));

    expect(medium.stripe.stub.listRefunds.calls).toHaveLength(1);
    expect(await reload(payment)).toMatchObject({ amountRefunded: 100 });
    // News received after that read began needs a read of its own.
    medium.stripe.refundOutside(intentOf(payment), 200);
    await sync.sync(payment, { since: new Date() });
    expect(medium.stripe.stub.listRefunds.calls).toHaveLength(2);
    expect(await reload(payment)).toMatchObject({ amountRefunded: 300 });
  });

  it('reads again when what it read cannot stand beside what the request wrote meanwhile', async () => {
    const payment = await insertPayment(medium.dataSource);
    const outside = medium.stripe.refundOutside(intentOf(payment), 1000);
    const before = medium.stripe.stub.listRefunds.hangsOnce();
    // A read that began while the outside refund still stood...
    const reading = sync.sync(payment);
    const [intentId] = await before.reached;
    const stale = medium.stripe.refundsOf(intentId);
    // ...then it bounced, and an API refund of the whole payment went through.
    medium.stripe.setRefundStatus(outside.id, 'failed', 'declined');
    await expect(refund(payment, 1000)).resolves.toMatchObject({ status: 'succeeded' });
    before.release(stale);
    await reading;

    expect(medium.stripe.stub.listRefunds.calls).toHaveLength(2);
    expect((await rowsOf(payment)).map(({ source, status }) => ({ source, status }))).toEqual([
      { source: 'api', status: 'succeeded' },
      { source: 'outside', status: 'failed' },
    ]);
    expect(await reload(payment)).toMatchObject({ amountRefunded: 1000, status: 'refunded' });
  });

  it('compares without changing anything', async () => {
    const payment = await insertPayment(medium.dataSource);
    const outside = medium.stripe.refundOutside(intentOf(payment), 250);

    await expect(sync.compare(payment)).resolves.toEqual({
      paymentId: payment.id,
      tenantId: payment.tenantId,
      ours: 0,
      stripe: 250,
      changes: [{ kind: 'record', stripe: expect.objectContaining({ id: outside.id, amount: 250 }) }],
    });
    expect(await rowsOf(payment)).toEqual([]);
    expect(await reload(payment)).toMatchObject({ amountRefunded: 0, refundsSyncedAt: null });
  });
});
