import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Refunds follow Stripe's refund objects: every refund, whichever channel made it (`source`),
 * with Stripe's `requires_action` status and its `failure_reason`; and the time of the newest
 * read of a payment's refund list from Stripe (`refunds_synced_at`), which lets a burst of refund
 * events for one payment share one read.
 */
export class RefundsFollowStripe1796090000000 implements MigrationInterface {
  name = 'RefundsFollowStripe1796090000000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "refunds" ADD "source" character varying(16) NOT NULL DEFAULT 'api'`);
    // Refunds made outside the API were the only rows without a user.
    await queryRunner.query(`UPDATE "refunds" SET "source" = 'outside' WHERE "user_id" IS NULL`);
    await queryRunner.query(`ALTER TABLE "refunds" ADD "failure_reason" character varying(64)`);
    await queryRunner.query(`ALTER TABLE "refunds" DROP CONSTRAINT "refunds_status_check"`);
    await queryRunner.query(
      `ALTER TABLE "refunds" ADD CONSTRAINT "refunds_status_check" CHECK ("status" IN ('pending', 'requires_action', 'succeeded', 'failed', 'canceled'))`,
    );
    await queryRunner.query(
      `ALTER TABLE "refunds" ADD CONSTRAINT "refunds_source_check" CHECK ("source" IN ('api', 'outside'))`,
    );
    await queryRunner.query(
      `ALTER TABLE "refunds" ADD CONSTRAINT "refunds_source_request_check" CHECK (("source" = 'api') = ("user_id" IS NOT NULL AND "idempotency_key" IS NOT NULL AND "request_hash" IS NOT NULL))`,
    );
    await queryRunner.query(
      `ALTER TABLE "payment_transactions" ADD "refunds_synced_at" TIMESTAMP WITH TIME ZONE`,
    );
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "payment_transactions" DROP COLUMN "refunds_synced_at"`);
    await queryRunner.query(`ALTER TABLE "refunds" DROP CONSTRAINT "refunds_source_request_check"`);
    await queryRunner.query(`ALTER TABLE "refunds" DROP CONSTRAINT "refunds_source_check"`);
    await queryRunner.query(`ALTER TABLE "refunds" DROP CONSTRAINT "refunds_status_check"`);
    // `requires_action` has no place in the older schema: such a refund was recorded as pending.
    await queryRunner.query(`UPDATE "refunds" SET "status" = 'pending' WHERE "status" = 'requires_action'`);
    await queryRunner.query(
      `ALTER TABLE "refunds" ADD CONSTRAINT "refunds_status_check" CHECK ("status" IN ('pending', 'succeeded', 'failed', 'canceled'))`,
    );
    await queryRunner.query(`ALTER TABLE "refunds" DROP COLUMN "failure_reason"`);
    await queryRunner.query(`ALTER TABLE "refunds" DROP COLUMN "source"`);
  }
}
