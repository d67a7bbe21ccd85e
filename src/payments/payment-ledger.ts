import { Injectable } from '@nestjs/common';
import { InjectDataSource, InjectRepository } from '@nestjs/typeorm';
import type Stripe from 'stripe';
import { DataSource, EntityManager, In, Repository } from 'typeorm';
import { PreparedStatement, runPrepared } from '../database/prepared-statement';
import { hydrate } from '../database/hydrate';
import { runInUnitOfWork, UnitOfWork } from '../database/unit-of-work';
import {
  IdempotentExecution,
  InsertRow,
  recordForRequest,
  RecordedRow,
  stripeAttemptAge,
} from '../idempotency';
import { PaymentFailure, StripeErrorCode } from '../stripe/stripe-error-code';
import { PaymentStatus, PaymentTransaction } from './entities/payment-transaction.entity';
import { PaymentErrorCode, PaymentException } from './payment-error-code';
import { canTransition, paymentStatusOf, REFUNDABLE_STATUSES, refundedStatus } from './payment-status.util';

export type NewPayment = Pick<
  PaymentTransaction,
  | 'kind'
  | 'status'
  | 'amount'
  | 'currency'
  | 'paymentMethodId'
  | 'customerId'
  | 'description'
  | 'metadata'
  | 'relatedPaymentId'
>;

// The two writes of every new payment, sent by name (parsed and planned once per connection).
const INSERT_PAYMENT: PreparedStatement = {
  name: 'payment_transactions_insert',
  text: `INSERT INTO payment_transactions
           (id, tenant_id, user_id, idempotency_key, request_hash, kind, status, amount, amount_refunded,
            currency, payment_method_id, customer_id, description, metadata, related_payment_id,
            stripe_first_attempt_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 0, $9, $10, $11, $12, $13, $14, now())
         ON CONFLICT DO NOTHING
         RETURNING *`,
};
const APPLY_INTENT: PreparedStatement = {
  name: 'payment_transactions_apply_intent',
  text: `UPDATE payment_transactions
         SET stripe_payment_intent_id = $2, status = $3, failure_code = $4, decline_code = $5,
             updated_at = now()
         WHERE id = $1 AND stripe_payment_intent_id IS NULL
         RETURNING *`,
};
/** `APPLY_INTENT` whose row is known without reading it back: sent with the key's completion. */
const APPLY_INTENT_AT: PreparedStatement = {
  name: 'payment_transactions_apply_intent_at',
  text: `UPDATE payment_transactions
         SET stripe_payment_intent_id = $2, status = $3, failure_code = $4, decline_code = $5,
             updated_at = $6
         WHERE id = $1 AND stripe_payment_intent_id IS NULL`,
};

/**
 * `payment_transactions`, written by this class only: the row of each recovery point of a
 * payment, and its refunded amount under the row lock.
 */
@Injectable()
export class PaymentLedger {
  constructor(
    @InjectRepository(PaymentTransaction) private readonly payments: Repository<PaymentTransaction>,
    @InjectDataSource() private readonly dataSource: DataSource,
  ) {}

  /** Recovery point 1: the row, before Stripe is called (see `recordForRequest`). */
  record(execution: IdempotentExecution, fields: NewPayment): Promise<RecordedPayment> {
    return recordForRequest(this.payments, execution, insertPayment(fields), 'payment');
  }

  /** How long ago Stripe was first asked for the payment's PaymentIntent (see `stripeAttemptAge`). */
  recordStripeAttempt(recorded: RecordedPayment): Promise<number> {
    return stripeAttemptAge(this.payments, recorded);
  }

  /**
   * Recovery point 3: the first answer Stripe gives is written once, only while the row has no
   * PaymentIntent yet; after that, status changes come from webhooks with their ordering rules.
   *
   * In a request that shares its unit of work, the write costs no round trip of its own: it is
   * sent with the key's completion and commits with it (see `UnitOfWork.defer`), and
   * the row answered is the one it writes, its time stamped here. Should a webhook have linked
   * the PaymentIntent first (the update then changes nothing), the request still answers what
   * Stripe answered it, for the same PaymentIntent, as a replay of the key later does.
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
    const values = [
      payment.id,
      applied.stripePaymentIntentId,
      applied.status,
      applied.failureCode,
      applied.declineCode,
    ];
    const unit = UnitOfWork.current();
    if (unit) {
      await unit.defer((manager) => runPrepared(manager, APPLY_INTENT_AT, [...values, applied.updatedAt]));
      return this.payments.merge(this.payments.create(), payment, applied);
    }
    const updated = await runPrepared(this.payments.manager, APPLY_INTENT, values);
    // No row: another execution linked its PaymentIntent first; answer the row as it is.
    return updated.rows[0]
      ? hydrate(this.payments, updated.rows[0])
      : this.payments.findOneByOrFail({ id: payment.id });
  }

  /**
   * Moves a payment to the status of its PaymentIntent as Stripe reports it now, only along
   * allowed transitions and under the row lock, so a concurrent writer (a webhook) is never
   * undone. Answers the move, or null when the status stays. A dry run only answers it.
   */
  async advanceToIntent(
    id: string,
    intent: Stripe.PaymentIntent,
    dryRun = false,
  ): Promise<StatusMove | null> {
    return this.dataSource.transaction(async (manager) => {
      const query = manager
        .getRepository(PaymentTransaction)
        .createQueryBuilder('payment')
        .where('payment.id = :id AND payment.stripePaymentIntentId = :intentId', { id, intentId: intent.id });
      const payment = await (dryRun ? query : query.setLock('pessimistic_write')).getOne();
      const status = paymentStatusOf(intent);
      if (!payment || !canTransition(payment.status, status)) return null;
      const move = { from: payment.status, to: status };
      if (dryRun) return move;
      const declineCode = intent.last_payment_error?.decline_code ?? null;
      await manager
        .getRepository(PaymentTransaction)
        .update(
          { id },
          status === 'failed'
            ? { status, failureCode: StripeErrorCode.CARD_DECLINED, declineCode }
            : { status },
        );
      return move;
    });
  }

  /** A definite refusal that left no PaymentIntent at Stripe. */
  async markFailed(payment: PaymentTransaction, failure: PaymentFailure): Promise<PaymentTransaction> {
    return runInUnitOfWork('write', this.payments.manager, async (manager) => {
      const payments = manager.getRepository(PaymentTransaction);
      await payments.update(
        { id: payment.id },
        { status: 'failed', failureCode: failure.code, declineCode: failure.declineCode },
      );
      return payments.findOneByOrFail({ id: payment.id });
    });
  }

  async find(tenantId: string, id: string): Promise<PaymentTransaction> {
    const payment = await this.payments.findOneBy({ id, tenantId });
    // Another tenant's payment is indistinguishable from a missing one (SPEC §2).
    if (!payment) throw new PaymentException(PaymentErrorCode.PAYMENT_NOT_FOUND, 'Payment not found');
    return payment;
  }

  /** Read in the request's pending transaction, if any, so a request never holds two connections. */
  exists(tenantId: string, id: string): Promise<boolean> {
    return runInUnitOfWork('read', this.payments.manager, (manager) =>
      manager.existsBy(PaymentTransaction, { id, tenantId }),
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
    if (!payment) throw new PaymentException(PaymentErrorCode.PAYMENT_NOT_FOUND, 'Payment not found');
    return payment;
  }

  /**
   * Sets a payment `lock` holds to what Stripe counts as refunded of it, moving its status along
   * both ways: a failed refund gives its amount back (`refunded` → `partially_refunded` →
   * `succeeded`). A payment Stripe holds refunds for was paid (`paid`), even when its own
   * success has not reached us yet. `readAt` is when the read of Stripe's refund list that led
   * here began. Answers the status the payment has now.
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
    await manager.query(
      `UPDATE payment_transactions
       SET amount_refunded = $2::int, status = $3::varchar,
           stripe_payment_intent_id = COALESCE(stripe_payment_intent_id, $4::varchar),
           refunds_synced_at = GREATEST(refunds_synced_at, $5::timestamptz),
           updated_at = CASE WHEN amount_refunded <> $2::int OR status <> $3::varchar THEN now() ELSE updated_at END
       WHERE id = $1`,
      [payment.id, amountRefunded, status, paid ? (news.paymentIntentId ?? null) : null, news.readAt ?? null],
    );
    return status;
  }

  /**
   * Begins a read of a payment's refunds from Stripe, inside the caller's transaction: reads of
   * one payment take turns (a transaction-scoped advisory lock, not the row's lock, so refunds
   * and events go on meanwhile), and a read is not needed when one that began at or after
   * `since` has been applied already. Answers the read's start by the database clock, or null
   * when it is not needed.
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
    if (!row) throw new PaymentException(PaymentErrorCode.PAYMENT_NOT_FOUND, 'Payment not found');
    return row.fresh ? null : { readAt: row.read_at, paymentIntentId: row.stripe_payment_intent_id };
  }

  /** Our payments among these PaymentIntents. */
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

  /**
   * The payment a Stripe event names: by its PaymentIntent, or, while the row has no
   * PaymentIntent yet (the request that created it has not written it back), by the id our
   * request put in the PaymentIntent's metadata.
   */
  async findForEvent(paymentIntentId: string, paymentId: string | undefined): Promise<PaymentRef | null> {
    const byIntent = await this.payments.findOne({
      select: { id: true, tenantId: true },
      where: { stripePaymentIntentId: paymentIntentId },
    });
    if (byIntent) return { id: byIntent.id, tenantId: byIntent.tenantId };
    if (!paymentId || !UUID.test(paymentId)) return null;
    const byId = await this.payments
      .createQueryBuilder('payment')
      .select(['payment.id', 'payment.tenantId'])
      .where('payment.id = :paymentId AND payment.stripePaymentIntentId IS NULL', { paymentId })
      .getOne();
    return byId ? { id: byId.id, tenantId: byId.tenantId } : null;
  }

  /**
   * Moves a payment `lock` holds to `status` for an event (the caller checked the transition),
   * linking its PaymentIntent when the row has none yet.
   */
  async applyEventStatus(
    manager: EntityManager,
    payment: PaymentTransaction,
    status: PaymentStatus,
    paymentIntentId: string,
    declineCode: string | null,
  ): Promise<void> {
    await manager.getRepository(PaymentTransaction).update(
      { id: payment.id },
      {
        status,
        stripePaymentIntentId: payment.stripePaymentIntentId ?? paymentIntentId,
        ...(status === 'failed' ? { failureCode: StripeErrorCode.CARD_DECLINED, declineCode } : {}),
      },
    );
  }
}

/** A payment row a request recorded (recovery point 1). */
export type RecordedPayment = RecordedRow<PaymentTransaction>;

/** A payment as an event names it: the tenant always comes from here, never from the event. */
export interface PaymentRef {
  id: string;
  tenantId: string;
}

/** A payment's status as it was and as Stripe's PaymentIntent has it. */
export interface StatusMove {
  from: PaymentStatus;
  to: PaymentStatus;
}

/** What is known of a payment's refunds beside their total (see `PaymentLedger.applyRefunded`). */
export interface RefundNews {
  /** Stripe holds refunds for the payment, so it was paid. */
  paid?: boolean;
  /** The PaymentIntent the refunds are of, linked to a row that has none yet. */
  paymentIntentId?: string;
  /** When the read of Stripe's refund list these come from began. */
  readAt?: Date;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function insertPayment(fields: NewPayment): InsertRow {
  return async (manager, row) => {
    const inserted = await runPrepared(manager, INSERT_PAYMENT, [
      row.id,
      row.tenantId,
      row.userId,
      row.idempotencyKey,
      row.requestHash,
      fields.kind,
      fields.status,
      fields.amount,
      fields.currency,
      fields.paymentMethodId,
      fields.customerId,
      fields.description,
      fields.metadata,
      fields.relatedPaymentId,
    ]);
    return inserted.rows[0];
  };
}
