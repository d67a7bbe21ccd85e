import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Tenant events and the webhooks that carry them: `events` is the outbox (written in the
 * transaction of the change it records), `event_sequences` holds each payment's last event
 * number, `webhook_endpoints` the tenants' receivers and `webhook_deliveries` one row per event
 * and endpoint with its attempts. The tables are read and written through their repositories'
 * SQL (src/events, src/webhook-endpoints); this file is their schema's reference.
 */
export class CreateEventsAndWebhookEndpoints1796300000000 implements MigrationInterface {
  name = 'CreateEventsAndWebhookEndpoints1796300000000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`CREATE TABLE "event_sequences" (
      "stream_id" uuid PRIMARY KEY,
      "last_sequence" bigint NOT NULL,
      CONSTRAINT "event_sequences_last_sequence_check" CHECK ("last_sequence" > 0))`);
    await queryRunner.query(`CREATE TABLE "events" (
      "id" uuid PRIMARY KEY,
      "tenant_id" uuid NOT NULL,
      "payment_id" uuid,
      "type" varchar(64) NOT NULL,
      "sequence" bigint NOT NULL,
      "previous_status" varchar(32),
      "data" jsonb NOT NULL,
      "cause" jsonb NOT NULL,
      "created_at" timestamptz NOT NULL DEFAULT clock_timestamp(),
      "relayed_at" timestamptz,
      CONSTRAINT "events_sequence_check" CHECK ("sequence" > 0),
      CONSTRAINT "events_payment_fk" FOREIGN KEY ("payment_id")
        REFERENCES "payment_transactions" ("id") ON DELETE RESTRICT)`);
    await queryRunner.query(
      `CREATE UNIQUE INDEX "events_payment_sequence_unique" ON "events" ("payment_id", "sequence")`,
    );
    await queryRunner.query(
      `CREATE INDEX "events_tenant_created_idx" ON "events" ("tenant_id", "created_at", "id")`,
    );
    await queryRunner.query(`CREATE INDEX "events_created_idx" ON "events" ("created_at")`);
    await queryRunner.query(
      `CREATE INDEX "events_unrelayed_idx" ON "events" ("created_at") WHERE "relayed_at" IS NULL`,
    );

    await queryRunner.query(`CREATE TABLE "webhook_endpoints" (
      "id" uuid PRIMARY KEY,
      "tenant_id" uuid NOT NULL,
      "url" varchar(2048) NOT NULL,
      "description" varchar(500),
      "enabled_events" varchar(64)[] NOT NULL,
      "secret" varchar(128) NOT NULL,
      "previous_secret" varchar(128),
      "previous_secret_expires_at" timestamptz,
      "disabled_at" timestamptz,
      "disabled_reason" varchar(16),
      "failing_since" timestamptz,
      "created_at" timestamptz NOT NULL DEFAULT now(),
      "updated_at" timestamptz NOT NULL DEFAULT now(),
      CONSTRAINT "webhook_endpoints_enabled_events_check" CHECK (cardinality("enabled_events") > 0),
      CONSTRAINT "webhook_endpoints_disabled_check"
        CHECK (("disabled_at" IS NULL) = ("disabled_reason" IS NULL)
               AND ("disabled_reason" IS NULL OR "disabled_reason" IN ('manual', 'failing'))),
      CONSTRAINT "webhook_endpoints_previous_secret_check"
        CHECK (("previous_secret" IS NULL) = ("previous_secret_expires_at" IS NULL)))`);
    await queryRunner.query(
      `CREATE INDEX "webhook_endpoints_tenant_idx" ON "webhook_endpoints" ("tenant_id", "created_at", "id")`,
    );
    await queryRunner.query(
      `CREATE INDEX "webhook_endpoints_failing_idx" ON "webhook_endpoints" ("failing_since")
       WHERE "failing_since" IS NOT NULL AND "disabled_at" IS NULL`,
    );

    await queryRunner.query(`CREATE TABLE "webhook_deliveries" (
      "id" uuid PRIMARY KEY,
      "tenant_id" uuid NOT NULL,
      "event_id" uuid NOT NULL,
      "endpoint_id" uuid NOT NULL,
      "event_type" varchar(64) NOT NULL,
      "event_created_at" timestamptz NOT NULL,
      "status" varchar(16) NOT NULL,
      "attempts" integer NOT NULL DEFAULT 0,
      "round_attempts" integer NOT NULL DEFAULT 0,
      "next_attempt_at" timestamptz,
      "give_up_at" timestamptz NOT NULL,
      "attempt_log" jsonb NOT NULL DEFAULT '[]',
      "delivered_at" timestamptz,
      "created_at" timestamptz NOT NULL DEFAULT now(),
      "updated_at" timestamptz NOT NULL DEFAULT now(),
      CONSTRAINT "webhook_deliveries_event_endpoint_unique" UNIQUE ("event_id", "endpoint_id"),
      CONSTRAINT "webhook_deliveries_status_check" CHECK ("status" IN ('pending', 'succeeded', 'failed')),
      CONSTRAINT "webhook_deliveries_next_attempt_check" CHECK (("status" = 'pending') = ("next_attempt_at" IS NOT NULL)),
      CONSTRAINT "webhook_deliveries_attempts_check" CHECK ("attempts" >= 0 AND "round_attempts" >= 0),
      CONSTRAINT "webhook_deliveries_event_fk" FOREIGN KEY ("event_id") REFERENCES "events" ("id") ON DELETE CASCADE,
      CONSTRAINT "webhook_deliveries_endpoint_fk" FOREIGN KEY ("endpoint_id")
        REFERENCES "webhook_endpoints" ("id") ON DELETE CASCADE)`);
    await queryRunner.query(
      `CREATE INDEX "webhook_deliveries_due_idx" ON "webhook_deliveries" ("next_attempt_at") WHERE "status" = 'pending'`,
    );
    await queryRunner.query(
      `CREATE INDEX "webhook_deliveries_endpoint_idx" ON "webhook_deliveries" ("endpoint_id", "created_at", "id")`,
    );
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE "webhook_deliveries"`);
    await queryRunner.query(`DROP TABLE "webhook_endpoints"`);
    await queryRunner.query(`DROP TABLE "events"`);
    await queryRunner.query(`DROP TABLE "event_sequences"`);
  }
}
