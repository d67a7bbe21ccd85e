import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import type Stripe from 'stripe';
import { EntityManager, In, ObjectLiteral, Repository } from 'typeorm';
import { Page, pageOf } from '../common/pagination/keyset-cursor';
import { UUID_REGEXP } from '../common/validation/uuid';
import { hydrate } from '../database/hydrate';
import { runPrepared } from '../database/prepared-statement';
import { TransactionRunner } from '../database/transaction-runner';
import { runInUnitOfWork, UnitOfWork } from '../database/unit-of-work';
import { IdempotentExecution, recordForRequest, stripeAttemptAge } from '../idempotency';
import { PaymentFailure, StripeErrorCode } from '../stripe';
import { PaymentStatus, PaymentTransaction } from './entities/payment-transaction.entity';
import { PaymentEvents } from './payment-events';
import { PaymentErrorCode, PaymentException } from './payment.exception';
import { canTransition, paymentStatusOf, REFUNDABLE_STATUSES, refundedStatus } from './payment-status.util';
import * as sql from './payment.statements';
import {
  NewPayment,
  PaymentQuery,
  PaymentRef,
  RecordedPayment,
  RefundNews,
  UnsettledPayment,
} from './payment.types';

/** Every statement against `payment_transactions`; a status change records its event in its transaction. */
@Injectable()
export class PaymentRepository {
  constructor(
    @InjectRepository(PaymentTransaction) private readonly payments: Repository<PaymentTransaction>,
    private readonly events: PaymentEvents,
    private readonly transactions: TransactionRunner,
  ) {}

  /**
   * Recovery point 1: the row, before Stripe is called, with its first event. Its times are set
   * here, so the event can carry the row as it is written without reading it back.
   */
  record(execution: IdempotentExecution, fields: NewPayment): Promise<RecordedPayment> {
    const at = new Date();
    return recordForRequest(this.payments, execution, sql.insertPayment(fields, at), 'payment', {
      write: (manager, identity) =>
        this.events.reached(
          manager,
          this.payments.create({
            ...fields,
            ...identity,
            amountRefunded: 0,
            stripePaymentIntentId: null,
            createdAt: at,
            updatedAt: at,
          }),
          null,
          {},
        ),
      transactions: this.transactions,
    });
  }

  recordStripeAttempt(recorded: RecordedPayment): Promise<number> {
    return stripeAttemptAge(this.payments, recorded);
  }

  /**
   * Recovery point 3: Stripe's first answer, written only while the row has no PaymentIntent
   * (later ones come from webhooks). In a unit of work the write is deferred to the key's
   * completion and the row answered is the one it writes: should a webhook have linked the
   * PaymentIntent first, the request still answers what Stripe answered it, as a replay would.
   */
  async applyIntent(
    payment: PaymentTransaction,
    intent: Stripe.PaymentIntent,
    failure?: PaymentFailure,
  ): Promise<PaymentTransaction> {
    if (payment.stripePaymentIntentId) return this.payments.findOneByOrFail({ id: payment.id });
    const applied = {
      stripePaymentIntentId: intent.id,
      status: failure ? 'failed' : paymentStatusOf(intent),
      failureCode: failure?.code ?? null,
      declineCode: failure?.declineCode ?? null,
      updatedAt: new Date(),
    } satisfies Partial<PaymentTransaction>;
    const values = [payment.id, intent.id, applied.status, applied.failureCode, applied.declineCode];
    const moved = applied.status !== payment.status;
    const unit = UnitOfWork.current();
    if (unit) {
      const answered = this.payments.merge(this.payments.create(), payment, applied);
      await unit.defer((manager) =>
        runPrepared(manager, sql.APPLY_INTENT_AT, [...values, applied.updatedAt]),
      );
      // Sent with it: recorded only if the update found the row still without its PaymentIntent.
      if (moved) {
        await unit.defer((manager) =>
          this.events.reached(manager, answered, payment.status, { updatedAt: applied.updatedAt }),
        );
      }
      return answered;
    }
    return this.transactions.run(async (manager) => {
      const updated = await runPrepared(manager, sql.APPLY_INTENT, values);
      // No row: another execution linked its PaymentIntent first.
      if (!updated.rows[0])
        return manager.getRepository(PaymentTransaction).findOneByOrFail({ id: payment.id });
      const row = hydrate(this.payments, updated.rows[0]);
      if (moved) await this.events.reached(manager, row, payment.status);
      return row;
    });
  }

  /** The payment linked to `intentId`, locked (`FOR UPDATE`) when `lock` until the transaction ends. */
  findLinked(
    manager: EntityManager,
    id: string,
    intentId: string,
    lock: boolean,
  ): Promise<PaymentTransaction | null> {
    const query = manager
      .getRepository(PaymentTransaction)
      .createQueryBuilder('payment')
      .where('payment.id = :id AND payment.stripePaymentIntentId = :intentId', { id, intentId });
    return (lock ? query.setLock('pessimistic_write') : query).getOne();
  }

  /** A definite refusal, no PaymentIntent at Stripe; applied once, so a key's new owner adds no event. */
  markFailed(payment: PaymentTransaction, failure: PaymentFailure): Promise<PaymentTransaction> {
    const work = async (manager: EntityManager) => {
      const [rows] = await manager.query<[Array<ObjectLiteral & { previous_status: PaymentStatus }>, number]>(
        sql.MARK_FAILED,
        [payment.id, failure.code, failure.declineCode],
      );
      if (!rows[0]) return manager.getRepository(PaymentTransaction).findOneByOrFail({ id: payment.id });
      const failed = hydrate(this.payments, rows[0]);
      await this.events.reached(manager, failed, rows[0].previous_status);
      return failed;
    };
    return UnitOfWork.current()
      ? runInUnitOfWork('write', this.payments.manager, work)
      : this.transactions.run(work);
  }

  /** Another tenant's payment is indistinguishable from a missing one (docs/design/requests.md). */
  async find(tenantId: string, id: string): Promise<PaymentTransaction> {
    const payment = await this.payments.findOneBy({ id, tenantId });
    if (!payment) throw notFound();
    return payment;
  }

  /** The tenant's payments, newest first, keyset-paginated on (created_at, id). */
  async list(query: PaymentQuery): Promise<Page<PaymentTransaction>> {
    const rows = await this.payments.query<sql.ListedRow[]>(...sql.listPayments(query));
    return pageOf(rows, query.limit, (row) => hydrate(this.payments, row));
  }

  /** Read in the request's pending transaction, if any, so a request never holds two connections. */
  exists(tenantId: string, id: string): Promise<boolean> {
    return runInUnitOfWork('read', this.payments.manager, (manager) =>
      manager.existsBy(PaymentTransaction, { id, tenantId }),
    );
  }

  /** Unfinished at Stripe and unmoved for `afterSeconds`, so no webhook settled them; in id order. */
  findUnsettled(afterSeconds: number, limit: number, cursor?: PaymentRef): Promise<UnsettledPayment[]> {
    return this.payments.query(
      `SELECT id, tenant_id AS "tenantId", stripe_payment_intent_id AS "stripePaymentIntentId"
       FROM payment_transactions
       WHERE status IN ('processing', 'requires_action') AND stripe_payment_intent_id IS NOT NULL
         AND updated_at < now() - make_interval(secs => $1)
         AND ($2::uuid IS NULL OR id > $2::uuid)
       ORDER BY id
       LIMIT $3`,
      [afterSeconds, cursor?.id ?? null, limit],
    );
  }

  /** The tenant's payment, locked (`FOR UPDATE`) until the transaction of `manager` ends. */
  async lock(manager: EntityManager, tenantId: string, id: string): Promise<PaymentTransaction> {
    const payment = await manager
      .getRepository(PaymentTransaction)
      .createQueryBuilder('payment')
      .setLock('pessimistic_write')
      .where('payment.id = :id AND payment.tenantId = :tenantId', { id, tenantId })
      .getOne();
    if (!payment) throw notFound();
    return payment;
  }

  /**
   * Sets a locked payment's refunded amount to what Stripe counts, moving its status both ways (a
   * failed refund gives its amount back). A payment Stripe holds refunds for was paid, whatever we heard.
   */
  async applyRefunded(
    manager: EntityManager,
    payment: PaymentTransaction,
    amountRefunded: number,
    news: RefundNews = {},
  ): Promise<PaymentStatus> {
    const paid =
      REFUNDABLE_STATUSES.has(payment.status) ||
      (news.paid === true && canTransition(payment.status, 'succeeded'));
    const status = paid ? refundedStatus(payment.amount, amountRefunded) : payment.status;
    const [rows] = await manager.query<[ObjectLiteral[], number]>(
      `UPDATE payment_transactions
       SET amount_refunded = $2::int, status = $3::varchar,
           stripe_payment_intent_id = COALESCE(stripe_payment_intent_id, $4::varchar),
           refunds_synced_at = GREATEST(refunds_synced_at, $5::timestamptz),
           updated_at = CASE WHEN amount_refunded <> $2::int OR status <> $3::varchar THEN now() ELSE updated_at END
       WHERE id = $1
       RETURNING *`,
      [payment.id, amountRefunded, status, paid ? (news.paymentIntentId ?? null) : null, news.readAt ?? null],
    );
    if (status !== payment.status && rows[0]) {
      await this.events.reached(manager, hydrate(this.payments, rows[0]), payment.status);
    }
    return status;
  }

  /**
   * Begins a read of a payment's refunds from Stripe: reads of one payment take turns on an
   * advisory lock, not the row's, so refunds and events go on meanwhile. Null when a read that
   * began at or after `since` has been applied already.
   */
  async beginRefundRead(
    manager: EntityManager,
    paymentId: string,
    since: Date | undefined,
  ): Promise<{ readAt: Date; paymentIntentId: string | null } | null> {
    await manager.query(`SELECT pg_advisory_xact_lock(hashtextextended('refund-read:' || $1, 0))`, [
      paymentId,
    ]);
    // A statement of its own: its snapshot is taken after the lock, so it sees the last read's commit.
    const [row] = await manager.query<
      Array<{ read_at: Date; stripe_payment_intent_id: string | null; fresh: boolean | null }>
    >(
      `SELECT clock_timestamp() AS read_at, stripe_payment_intent_id, refunds_synced_at >= $2 AS fresh
       FROM payment_transactions WHERE id = $1`,
      [paymentId, since ?? null],
    );
    if (!row) throw notFound();
    return row.fresh ? null : { readAt: row.read_at, paymentIntentId: row.stripe_payment_intent_id };
  }

  async findByIntents(
    paymentIntentIds: string[],
  ): Promise<Array<PaymentRef & { stripePaymentIntentId: string }>> {
    if (paymentIntentIds.length === 0) return [];
    const rows = await this.payments.find({
      select: { id: true, tenantId: true, stripePaymentIntentId: true },
      where: { stripePaymentIntentId: In(paymentIntentIds) },
    });
    return rows.map((row) => ({
      id: row.id,
      tenantId: row.tenantId,
      stripePaymentIntentId: row.stripePaymentIntentId as string,
    }));
  }

  /** By PaymentIntent, or, before the request that created the row links it, by our id in its metadata. */
  async findForEvent(paymentIntentId: string, paymentId: string | undefined): Promise<PaymentRef | null> {
    const byIntent = await this.payments.findOne({
      select: { id: true, tenantId: true },
      where: { stripePaymentIntentId: paymentIntentId },
    });
    if (byIntent) return { id: byIntent.id, tenantId: byIntent.tenantId };
    if (!paymentId || !UUID_REGEXP.test(paymentId)) return null;
    const byId = await this.payments
      .createQueryBuilder('payment')
      .select(['payment.id', 'payment.tenantId'])
      .where('payment.id = :paymentId AND payment.stripePaymentIntentId IS NULL', { paymentId })
      .getOne();
    return byId ? { id: byId.id, tenantId: byId.tenantId } : null;
  }

  /** The caller checked the transition; a payment that failed here was declined. */
  async moveStatus(
    manager: EntityManager,
    payment: PaymentTransaction,
    status: PaymentStatus,
    paymentIntentId: string,
    declineCode: string | null,
  ): Promise<void> {
    const payments = manager.getRepository(PaymentTransaction);
    await payments.update(
      { id: payment.id },
      {
        status,
        stripePaymentIntentId: payment.stripePaymentIntentId ?? paymentIntentId,
        ...(status === 'failed' ? { failureCode: StripeErrorCode.CARD_DECLINED, declineCode } : {}),
      },
    );
    if (status !== payment.status) {
      await this.events.reached(manager, await payments.findOneByOrFail({ id: payment.id }), payment.status);
    }
  }
}

function notFound(): PaymentException {
  return new PaymentException(PaymentErrorCode.PAYMENT_NOT_FOUND, 'Payment not found');
}
