import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { randomUUID } from 'node:crypto';
import { EntityManager, In, IsNull, Repository } from 'typeorm';
import type { IdempotentExecution } from '../idempotency';
import { Refund, RefundStatus } from './entities/refund.entity';
import { RefundEvents } from './refund-events';
import { KnownRefund, RefundChange } from './refund-sync.plan';

export interface StuckRefund {
  id: string;
  tenantId: string;
  paymentId: string;
  attempted: boolean;
}

export interface RefundHolds {
  /** API refunds with no Stripe refund linked yet: the outcome is unknown. */
  reserved: number;
  /** Counted by Stripe, but may still fail. */
  unsettled: number;
}

type RefundOwner = { id: string; tenantId: string };

/** Writes that must see the payment's row lock take the caller's `manager`. */
@Injectable()
export class RefundRepository {
  constructor(
    @InjectRepository(Refund) private readonly refunds: Repository<Refund>,
    private readonly events: RefundEvents,
  ) {}

  /** Another tenant's refund is as absent as a missing one. */
  findOwn(tenantId: string, id: string): Promise<Refund | null> {
    return this.refunds.findOneBy({ tenantId, id });
  }

  listForPayment(paymentId: string): Promise<Refund[]> {
    return this.refunds.find({ where: { paymentId }, order: { createdAt: 'ASC', id: 'ASC' } });
  }

  findById(id: string, manager: EntityManager = this.refunds.manager): Promise<Refund> {
    return manager.getRepository(Refund).findOneByOrFail({ id });
  }

  findForRequest(manager: EntityManager, execution: IdempotentExecution): Promise<Refund | null> {
    return manager.getRepository(Refund).findOneBy({
      tenantId: execution.tenantId,
      userId: execution.userId,
      idempotencyKey: execution.key,
    });
  }

  knownRefunds(paymentId: string, manager: EntityManager = this.refunds.manager): Promise<KnownRefund[]> {
    return manager.getRepository(Refund).find({
      select: {
        id: true,
        source: true,
        amount: true,
        status: true,
        failureReason: true,
        stripeRefundId: true,
      },
      where: { paymentId },
      order: { createdAt: 'ASC', id: 'ASC' },
    });
  }

  async holds(manager: EntityManager, paymentId: string): Promise<RefundHolds> {
    const [row] = await manager.query<Array<{ reserved: number; unsettled: number }>>(
      `SELECT COALESCE(SUM(amount) FILTER (WHERE stripe_refund_id IS NULL AND status = 'pending'), 0)::int AS reserved,
              COALESCE(SUM(amount) FILTER (WHERE stripe_refund_id IS NOT NULL
                                             AND status IN ('pending', 'requires_action')), 0)::int AS unsettled
       FROM refunds WHERE payment_id = $1`,
      [paymentId],
    );
    return { reserved: row?.reserved ?? 0, unsettled: row?.unsettled ?? 0 };
  }

  async statusesByStripeId(stripeRefundIds: string[]): Promise<Map<string, RefundStatus>> {
    if (stripeRefundIds.length === 0) return new Map();
    const rows = await this.refunds.find({
      select: { stripeRefundId: true, status: true },
      where: { stripeRefundId: In(stripeRefundIds) },
    });
    return new Map(rows.map((row) => [row.stripeRefundId as string, row.status]));
  }

  /** Pending without a Stripe refund and untouched for `afterSeconds`: the outcome was lost. */
  async findStuck(afterSeconds: number, limit: number, cursor?: StuckRefund): Promise<StuckRefund[]> {
    const rows = await this.refunds.query<
      Array<{ id: string; tenant_id: string; payment_id: string; attempted: boolean }>
    >(
      `SELECT id, tenant_id, payment_id, stripe_first_attempt_at IS NOT NULL AS attempted
       FROM refunds
       WHERE status = 'pending' AND stripe_refund_id IS NULL
         AND updated_at < now() - make_interval(secs => $1)
         AND ($2::uuid IS NULL OR id > $2::uuid)
       ORDER BY id
       LIMIT $3`,
      [afterSeconds, cursor?.id ?? null, limit],
    );
    return rows.map((row) => ({
      id: row.id,
      tenantId: row.tenant_id,
      paymentId: row.payment_id,
      attempted: row.attempted,
    }));
  }

  async oldestUnsettledAgeSeconds(): Promise<number> {
    const [row] = await this.refunds.query<Array<{ age: number | null }>>(
      `SELECT extract(epoch FROM now() - min(created_at))::float8 AS age
       FROM refunds WHERE status IN ('pending', 'requires_action')`,
    );
    return row?.age ?? 0;
  }

  async insertReservation(
    manager: EntityManager,
    execution: IdempotentExecution,
    payment: RefundOwner & { currency: string },
    fields: { amount: number; reason: string | null },
  ): Promise<Refund> {
    const refunds = manager.getRepository(Refund);
    const refund = await refunds.save(
      refunds.create({
        id: randomUUID(),
        tenantId: execution.tenantId,
        userId: execution.userId,
        idempotencyKey: execution.key,
        requestHash: execution.requestHash,
        source: 'api',
        paymentId: payment.id,
        amount: fields.amount,
        currency: payment.currency,
        status: 'pending',
        reason: fields.reason,
        failureReason: null,
        stripeRefundId: null,
      }),
    );
    await this.events.reached(manager, refund, null);
    return refund;
  }

  /** Reserves again a refund Stripe refused, for a re-execution of its request. */
  async reserveAgain(manager: EntityManager, refund: Refund): Promise<Refund> {
    const refunds = manager.getRepository(Refund);
    await refunds.update({ id: refund.id }, { status: 'pending', failureReason: null });
    const reserved = await refunds.findOneByOrFail({ id: refund.id });
    await this.events.reached(manager, reserved, refund.status);
    return reserved;
  }

  /**
   * Returns the first attempt's age (database clock), or null when the row no longer waits for Stripe. The
   * stamp keeps reconciliation from releasing a row whose call is under way.
   */
  async recordStripeAttempt(id: string): Promise<number | null> {
    const [rows] = await this.refunds.query<[Array<{ age_seconds: number }>, number]>(
      `UPDATE refunds SET stripe_first_attempt_at = COALESCE(stripe_first_attempt_at, now()), updated_at = now()
       WHERE id = $1 AND status = 'pending' AND stripe_refund_id IS NULL
       RETURNING extract(epoch FROM now() - stripe_first_attempt_at)::float8 AS age_seconds`,
      [id],
    );
    return rows[0]?.age_seconds ?? null;
  }

  /** `failureReason` is Stripe's error code. The caller holds the payment's row lock. */
  async markRefused(manager: EntityManager, id: string, failureReason: string): Promise<void> {
    const refunds = manager.getRepository(Refund);
    const { affected } = await refunds.update(
      { id, status: 'pending', stripeRefundId: IsNull() },
      { status: 'failed', failureReason },
    );
    if (affected === 1) await this.events.reached(manager, await refunds.findOneByOrFail({ id }), 'pending');
  }

  /**
   * Only if untouched for `afterSeconds`: each Stripe attempt stamps the row first, so a released row is
   * never sent to Stripe afterwards.
   */
  async release(manager: EntityManager, id: string, afterSeconds: number): Promise<boolean> {
    const [, affected] = await manager.query<[unknown, number]>(
      `UPDATE refunds SET status = 'failed', failure_reason = 'not_created', updated_at = now()
       WHERE id = $1 AND status = 'pending' AND stripe_refund_id IS NULL
         AND updated_at < now() - make_interval(secs => $2)
         AND (stripe_first_attempt_at IS NULL OR stripe_first_attempt_at < now() - make_interval(secs => $2))`,
      [id, afterSeconds],
    );
    if (affected !== 1) return false;
    await this.events.reached(manager, await this.findById(id, manager), 'pending');
    return true;
  }

  async apply(manager: EntityManager, payment: RefundOwner, change: RefundChange): Promise<void> {
    const { stripe } = change;
    const refunds = manager.getRepository(Refund);
    if (change.kind === 'record') {
      const id = randomUUID();
      await refunds.insert({
        id,
        tenantId: payment.tenantId,
        userId: null,
        idempotencyKey: null,
        requestHash: null,
        source: 'outside',
        paymentId: payment.id,
        amount: stripe.amount,
        currency: stripe.currency,
        status: stripe.status,
        reason: stripe.reason,
        failureReason: stripe.failureReason,
        stripeRefundId: stripe.id,
      });
      await this.events.reached(manager, await refunds.findOneByOrFail({ id }), null);
      return;
    }
    await refunds.update(
      { id: change.refundId },
      { stripeRefundId: stripe.id, status: stripe.status, failureReason: stripe.failureReason },
    );
    if (stripe.status !== change.from) {
      await this.events.reached(manager, await refunds.findOneByOrFail({ id: change.refundId }), change.from);
    }
  }
}
