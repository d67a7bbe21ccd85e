import { Customer } from '../customers/entities/customer.entity';
import { PaymentIdempotency } from '../idempotency/entities/payment-idempotency.entity';
import { PaymentTransaction } from '../payments/entities/payment-transaction.entity';
import { Refund } from '../refunds/entities/refund.entity';
import { PaymentEventSequence } from '../webhooks/entities/payment-event-sequence.entity';
import { WebhookInbox } from '../webhooks/entities/webhook-inbox.entity';

type EntityClass = new () => object;

/**
 * Every TypeORM entity of the service, in one list so the app and the migration CLI
 * (ormconfig.ts) see the same schema. Modules still register theirs with forFeature.
 */
export const ENTITIES: EntityClass[] = [
  PaymentIdempotency,
  PaymentTransaction,
  Refund,
  Customer,
  WebhookInbox,
  PaymentEventSequence,
];
