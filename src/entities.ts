import { Customer } from './customers/entities/customer.entity';
import { PaymentIdempotency } from './idempotency/entities/payment-idempotency.entity';
import { PaymentTransaction } from './payments/entities/payment-transaction.entity';
import { Refund } from './refunds/entities/refund.entity';
import { PaymentEventSequence } from './webhooks/entities/payment-event-sequence.entity';
import { WebhookInbox } from './webhooks/entities/webhook-inbox.entity';

import type { EntityClass } from './database/data-source-options';

/** One list so the app, the CLI and the migration tool (ormconfig.ts) see the same schema. */
export const ENTITIES: EntityClass[] = [
  PaymentIdempotency,
  PaymentTransaction,
  Refund,
  Customer,
  WebhookInbox,
  PaymentEventSequence,
];
