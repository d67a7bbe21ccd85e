import { MigrationInterface, QueryRunner } from 'typeorm';

export class CreatePaymentsAndRefunds1796026586843 implements MigrationInterface {
  name = 'CreatePaymentsAndRefunds1796026586843';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `CREATE TABLE "payment_transactions" ("id" uuid NOT NULL, "tenant_id" uuid NOT NULL, "user_id" character varying(128) NOT NULL, "idempotency_key" uuid NOT NULL, "request_hash" character(64) NOT NULL, "kind" character varying(16) NOT NULL, "status" character varying(32) NOT NULL, "amount" integer NOT NULL, "amount_refunded" integer NOT NULL DEFAULT '0', "currency" character(3) NOT NULL, "stripe_payment_intent_id" character varying(255), "payment_method_id" character varying(255), "customer_id" character varying(255), "description" character varying(1000), "metadata" jsonb NOT NULL DEFAULT '{}', "related_payment_id" uuid, "failure_code" character varying(64), "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "payment_transactions_stripe_payment_intent_unique" UNIQUE ("stripe_payment_intent_id"), CONSTRAINT "payment_transactions_scoped_key_unique" UNIQUE ("tenant_id", "user_id", "idempotency_key"), CONSTRAINT "payment_transactions_kind_check" CHECK ("kind" IN ('payment', 'fee')), CONSTRAINT "payment_transactions_status_check" CHECK ("status" IN ('requires_payment_method', 'requires_action', 'processing', 'succeeded', 'failed', 'canceled', 'partially_refunded', 'refunded')), CONSTRAINT "payment_transactions_amount_refunded_check" CHECK ("amount_refunded" >= 0 AND "amount_refunded" <= "amount"), CONSTRAINT "payment_transactions_amount_check" CHECK ("amount" > 0 AND "amount" <= 99999999), CONSTRAINT "PK_d32b3c6b0d2c1d22604cbcc8c49" PRIMARY KEY ("id"))`,
    );
    await queryRunner.query(
      `CREATE INDEX "payment_transactions_tenant_created_idx" ON "payment_transactions"  ("tenant_id", "created_at") `,
    );
    await queryRunner.query(
      `CREATE TABLE "refunds" ("id" uuid NOT NULL, "tenant_id" uuid NOT NULL, "user_id" character varying(128), "idempotency_key" uuid, "request_hash" character(64), "payment_id" uuid NOT NULL, "amount" integer NOT NULL, "currency" character(3) NOT NULL, "status" character varying(16) NOT NULL, "reason" character varying(32), "stripe_refund_id" character varying(255), "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "refunds_stripe_refund_unique" UNIQUE ("stripe_refund_id"), CONSTRAINT "refunds_scoped_key_unique" UNIQUE ("tenant_id", "user_id", "idempotency_key"), CONSTRAINT "refunds_status_check" CHECK ("status" IN ('pending', 'succeeded', 'failed', 'canceled')), CONSTRAINT "refunds_amount_check" CHECK ("amount" > 0), CONSTRAINT "PK_5106efb01eeda7e49a78b869738" PRIMARY KEY ("id"))`,
    );
    await queryRunner.query(`CREATE INDEX "refunds_payment_idx" ON "refunds"  ("payment_id") `);
    await queryRunner.query(
      `ALTER TABLE "payment_transactions" ADD CONSTRAINT "payment_transactions_related_payment_fk" FOREIGN KEY ("related_payment_id") REFERENCES "payment_transactions"("id") ON DELETE RESTRICT ON UPDATE NO ACTION`,
    );
    await queryRunner.query(
      `ALTER TABLE "refunds" ADD CONSTRAINT "refunds_payment_fk" FOREIGN KEY ("payment_id") REFERENCES "payment_transactions"("id") ON DELETE RESTRICT ON UPDATE NO ACTION`,
    );
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "refunds" DROP CONSTRAINT "refunds_payment_fk"`);
    await queryRunner.query(
      `ALTER TABLE "payment_transactions" DROP CONSTRAINT "payment_transactions_related_payment_fk"`,
    );
    await queryRunner.query(`DROP INDEX "public"."refunds_payment_idx"`);
    await queryRunner.query(`DROP TABLE "refunds"`);
    await queryRunner.query(`DROP INDEX "public"."payment_transactions_tenant_created_idx"`);
    await queryRunner.query(`DROP TABLE "payment_transactions"`);
  }
}
