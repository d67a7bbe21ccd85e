import { MigrationInterface, QueryRunner } from 'typeorm';

/** Stripe customers, each owned by one tenant (payments may only name their own tenant's). */
export class CreateCustomers1796062712929 implements MigrationInterface {
  name = 'CreateCustomers1796062712929';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `CREATE TABLE "customers" ("id" uuid NOT NULL, "tenant_id" uuid NOT NULL, "user_id" character varying(128) NOT NULL, "idempotency_key" uuid NOT NULL, "request_hash" character(64) NOT NULL, "stripe_customer_id" character varying(255), "email" character varying(512), "name" character varying(256), "metadata" jsonb NOT NULL DEFAULT '{}', "stripe_first_attempt_at" TIMESTAMP WITH TIME ZONE, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "customers_stripe_customer_unique" UNIQUE ("stripe_customer_id"), CONSTRAINT "customers_scoped_key_unique" UNIQUE ("tenant_id", "user_id", "idempotency_key"), CONSTRAINT "PK_133ec679a801fab5e070f73d3ea" PRIMARY KEY ("id"))`,
    );
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE "customers"`);
  }
}
