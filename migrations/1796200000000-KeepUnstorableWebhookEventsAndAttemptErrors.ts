import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The webhook inbox keeps what it could not keep before: a signed event PostgreSQL cannot store
 * as jsonb (a `\u0000`, a lone surrogate, nesting past its stack) is kept as the text received,
 * dead, instead of answered 500; and each failed attempt's error is kept in a bounded history
 * that a later success does not clear.
 */
export class KeepUnstorableWebhookEventsAndAttemptErrors1796200000000 implements MigrationInterface {
  name = 'KeepUnstorableWebhookEventsAndAttemptErrors1796200000000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "webhook_inbox" ADD "raw_body" text`);
    await queryRunner.query(`ALTER TABLE "webhook_inbox" ADD "attempt_errors" jsonb NOT NULL DEFAULT '[]'`);
    await queryRunner.query(`ALTER TABLE "webhook_inbox" ALTER COLUMN "payload" DROP NOT NULL`);
    await queryRunner.query(
      `ALTER TABLE "webhook_inbox" ADD CONSTRAINT "webhook_inbox_payload_check" CHECK ("payload" IS NOT NULL OR "raw_body" IS NOT NULL)`,
    );
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "webhook_inbox" DROP CONSTRAINT "webhook_inbox_payload_check"`);
    // Events kept raw have no payload to restore: they go with the column that held them.
    await queryRunner.query(`DELETE FROM "webhook_inbox" WHERE "payload" IS NULL`);
    await queryRunner.query(`ALTER TABLE "webhook_inbox" ALTER COLUMN "payload" SET NOT NULL`);
    await queryRunner.query(`ALTER TABLE "webhook_inbox" DROP COLUMN "attempt_errors"`);
    await queryRunner.query(`ALTER TABLE "webhook_inbox" DROP COLUMN "raw_body"`);
  }
}
