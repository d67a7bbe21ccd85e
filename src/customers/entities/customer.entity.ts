import { Column, Entity, Unique } from 'typeorm';
import { RequestRecord } from '../../database/record-columns';

/** All tenants share one Stripe account, so this row is what scopes a `cus_…` id to a tenant. */
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
