import { MigrationInterface, QueryRunner } from 'typeorm';

export class AddStripeFirstAttemptAt1796027675630 implements MigrationInterface {
  name = 'AddStripeFirstAttemptAt1796027675630';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `ALTER TABLE "payment_transactions" ADD "stripe_first_attempt_at" TIMESTAMP WITH TIME ZONE`,
    );
    await queryRunner.query(`ALTER TABLE "refunds" ADD "stripe_first_attempt_at" TIMESTAMP WITH TIME ZONE`);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "refunds" DROP COLUMN "stripe_first_attempt_at"`);
    await queryRunner.query(`ALTER TABLE "payment_transactions" DROP COLUMN "stripe_first_attempt_at"`);
  }
}
