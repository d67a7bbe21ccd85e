import { Customer } from './customers/entities/customer.entity';
import { PaymentIdempotency } from './idempotency/entities/payment-idempotency.entity';
import { PaymentTransaction } from './payments/entities/payment-transaction.entity';
import { Refund } from './refunds/entities/refund.entity';
import { PaymentEventSequence } from './webhooks/entities/payment-event-sequence.entity';
import { WebhookInbox } from './webhooks/entities/webhook-inbox.entity';

import type { EntityClass } from './database/data-source-options';

/**
 * Every TypeORM entity of the service, in one list so the app, the CLI and the migration tool
 * (ormconfig.ts) see the same schema. It lives at the composition root: the database module
 * knows no feature. Modules still register theirs with forFeature.
 */
export const ENTITIES: EntityClass[] = [
  PaymentIdempotency,
  PaymentTransaction,
  Refund,
  Customer,
  WebhookInbox,
  PaymentEventSequence,
];
