import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * `failure_code` held Stripe decline codes and our own code names in one column. It now holds
 * only our codes (the error a failed payment answers with), and Stripe's decline code moves to
 * `decline_code`. Existing rows are converted: our lower-cased names back to their codes, any
 * other value was a decline code of a declined card.
 */
export class SeparateFailureAndDeclineCodes1796030000000 implements MigrationInterface {
  name = 'SeparateFailureAndDeclineCodes1796030000000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "payment_transactions" ADD "decline_code" character varying(64)`);
    await queryRunner.query(
      `UPDATE "payment_transactions"
       SET "failure_code" = upper("failure_code")
       WHERE "failure_code" IN ('payment_method_invalid', 'payment_provider_rejected')`,
    );
    await queryRunner.query(
      `UPDATE "payment_transactions"
       SET "decline_code" = "failure_code", "failure_code" = 'CARD_DECLINED'
       WHERE "failure_code" IS NOT NULL
         AND "failure_code" NOT IN ('PAYMENT_METHOD_INVALID', 'PAYMENT_PROVIDER_REJECTED')`,
    );
    await queryRunner.query(
      `ALTER TABLE "payment_transactions" ADD CONSTRAINT "payment_transactions_failure_code_check"
       CHECK ("failure_code" IS NULL OR "failure_code" IN ('CARD_DECLINED', 'PAYMENT_METHOD_INVALID', 'PAYMENT_PROVIDER_REJECTED'))`,
    );
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `ALTER TABLE "payment_transactions" DROP CONSTRAINT "payment_transactions_failure_code_check"`,
    );
    await queryRunner.query(
      `UPDATE "payment_transactions"
       SET "failure_code" = CASE WHEN "failure_code" = 'CARD_DECLINED' THEN coalesce("decline_code", 'card_declined')
                                 ELSE lower("failure_code") END
       WHERE "failure_code" IS NOT NULL`,
    );
    await queryRunner.query(`ALTER TABLE "payment_transactions" DROP COLUMN "decline_code"`);
  }
}
