import type { MigrationInterface } from 'typeorm';
import { CreatePaymentIdempotency1796025642556 } from './1796025642556-CreatePaymentIdempotency';
import { CreatePaymentsAndRefunds1796026586843 } from './1796026586843-CreatePaymentsAndRefunds';
import { AddStripeFirstAttemptAt1796027675630 } from './1796027675630-AddStripeFirstAttemptAt';
import { SeparateFailureAndDeclineCodes1796030000000 } from './1796030000000-SeparateFailureAndDeclineCodes';
import { CreateCustomers1796062712929 } from './1796062712929-CreateCustomers';
import { CreateWebhookInboxAndEventSequence1796064735738 } from './1796064735738-CreateWebhookInboxAndEventSequence';
import { RefundsFollowStripe1796090000000 } from './1796090000000-RefundsFollowStripe';
import { KeepUnstorableWebhookEventsAndAttemptErrors1796200000000 } from './1796200000000-KeepUnstorableWebhookEventsAndAttemptErrors';
import { CreateEventsAndWebhookEndpoints1796300000000 } from './1796300000000-CreateEventsAndWebhookEndpoints';

type MigrationClass = new () => MigrationInterface;

/**
 * Migrations in the order they run. A new file from `npm run migration:generate` is added
 * here; listing them explicitly keeps the same set in the app, the CLI and the tests.
 */
export const MIGRATIONS: MigrationClass[] = [
  CreatePaymentIdempotency1796025642556,
  CreatePaymentsAndRefunds1796026586843,
  AddStripeFirstAttemptAt1796027675630,
  SeparateFailureAndDeclineCodes1796030000000,
  CreateCustomers1796062712929,
  CreateWebhookInboxAndEventSequence1796064735738,
  RefundsFollowStripe1796090000000,
  KeepUnstorableWebhookEventsAndAttemptErrors1796200000000,
  CreateEventsAndWebhookEndpoints1796300000000,
];
