import { MigrationInterface, QueryRunner } from 'typeorm';

/** The webhook inbox (received Stripe events) and the per-payment record of applied events. */
export class CreateWebhookInboxAndEventSequence1796064735738 implements MigrationInterface {
  name = 'CreateWebhookInboxAndEventSequence1796064735738';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `CREATE TABLE "payment_event_sequence" ("payment_id" uuid NOT NULL, "sequence_number" integer NOT NULL, "event_id" character varying(255) NOT NULL, "event_type" character varying(255) NOT NULL, "event_created" TIMESTAMP WITH TIME ZONE NOT NULL, "applied_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "payment_event_sequence_event_unique" UNIQUE ("payment_id", "event_id"), CONSTRAINT "PK_538e0a70a07d4f525e548e7d194" PRIMARY KEY ("payment_id", "sequence_number"))`,
    );
    await queryRunner.query(
      `CREATE TABLE "webhook_inbox" ("event_id" character varying(255) NOT NULL, "type" character varying(255) NOT NULL, "payload" jsonb NOT NULL, "status" character varying(16) NOT NULL DEFAULT 'pending', "attempts" integer NOT NULL DEFAULT '0', "error" text, "received_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "processed_at" TIMESTAMP WITH TIME ZONE, "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "webhook_inbox_attempts_check" CHECK ("attempts" >= 0), CONSTRAINT "webhook_inbox_status_check" CHECK ("status" IN ('pending', 'processing', 'processed', 'ignored', 'failed', 'dead')), CONSTRAINT "PK_874eb77bbc7b3f77e081c8dac13" PRIMARY KEY ("event_id"))`,
    );
    await queryRunner.query(
      `CREATE INDEX "webhook_inbox_status_received_idx" ON "webhook_inbox"  ("status", "received_at") `,
    );
    await queryRunner.query(
      `CREATE INDEX "webhook_inbox_received_idx" ON "webhook_inbox"  ("received_at", "event_id") `,
    );
    await queryRunner.query(
      `ALTER TABLE "payment_event_sequence" ADD CONSTRAINT "payment_event_sequence_payment_fk" FOREIGN KEY ("payment_id") REFERENCES "payment_transactions"("id") ON DELETE RESTRICT ON UPDATE NO ACTION`,
    );
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `ALTER TABLE "payment_event_sequence" DROP CONSTRAINT "payment_event_sequence_payment_fk"`,
    );
    await queryRunner.query(`DROP INDEX "public"."webhook_inbox_received_idx"`);
    await queryRunner.query(`DROP INDEX "public"."webhook_inbox_status_received_idx"`);
    await queryRunner.query(`DROP TABLE "webhook_inbox"`);
    await queryRunner.query(`DROP TABLE "payment_event_sequence"`);
  }
}
