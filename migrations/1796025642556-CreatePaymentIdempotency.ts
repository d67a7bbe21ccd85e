import { MigrationInterface, QueryRunner } from 'typeorm';

export class CreatePaymentIdempotency1796025642556 implements MigrationInterface {
  name = 'CreatePaymentIdempotency1796025642556';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `CREATE TABLE "payment_idempotency" ("tenant_id" uuid NOT NULL, "user_id" character varying(128) NOT NULL, "idempotency_key" uuid NOT NULL, "request_hash" character(64) NOT NULL, "status" character varying(16) NOT NULL, "response" jsonb, "locked_at" TIMESTAMP WITH TIME ZONE, "lock_token" uuid, "expires_at" TIMESTAMP WITH TIME ZONE NOT NULL, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "payment_idempotency_completed_has_response" CHECK ("status" <> 'completed' OR "response" IS NOT NULL), CONSTRAINT "payment_idempotency_status_check" CHECK ("status" IN ('in_progress', 'completed')), CONSTRAINT "PK_c14bee02dcac1083b78c34818e9" PRIMARY KEY ("tenant_id", "user_id", "idempotency_key"))`,
    );
    await queryRunner.query(
      `CREATE INDEX "payment_idempotency_expires_at_idx" ON "payment_idempotency"  ("expires_at") `,
    );
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX "public"."payment_idempotency_expires_at_idx"`);
    await queryRunner.query(`DROP TABLE "payment_idempotency"`);
  }
}
