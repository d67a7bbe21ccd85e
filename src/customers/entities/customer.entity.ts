import { Column, Entity, Unique } from 'typeorm';
import { RequestRecord } from '../../database/record-columns';

/**
 * A Stripe customer that belongs to one tenant. All tenants share one Stripe account, so this
 * row is what makes `cus_…` ids tenant-scoped: a payment may only name a customer its tenant
 * owns here. Written before Stripe is called (keyed by the scoped idempotency key) and
 * completed with the Stripe id after, like payments.
 */
@Entity({ name: 'customers' })
@Unique('customers_scoped_key_unique', ['tenantId', 'userId', 'idempotencyKey'])
@Unique('customers_stripe_customer_unique', ['stripeCustomerId'])
export class Customer extends RequestRecord {
  /** Null until Stripe has created the customer. */
  @Column({ name: 'stripe_customer_id', type: 'varchar', length: 255, nullable: true })
  stripeCustomerId!: string | null;

  @Column({ type: 'varchar', length: 512, nullable: true })
  email!: string | null;

  @Column({ type: 'varchar', length: 256, nullable: true })
  name!: string | null;

  @Column({ type: 'jsonb', default: () => "'{}'" })
  metadata!: Record<string, string>;
}
