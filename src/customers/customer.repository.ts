import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { IsNull, Not, Repository } from 'typeorm';
import { runInUnitOfWork } from '../database/unit-of-work';
import {
  IdempotentExecution,
  insertFields,
  recordForRequest,
  RecordedRow,
  stripeAttemptAge,
} from '../idempotency';
import { Customer } from './entities/customer.entity';

export type NewCustomer = Pick<Customer, 'email' | 'name' | 'metadata'>;

@Injectable()
export class CustomerRepository {
  constructor(@InjectRepository(Customer) private readonly customers: Repository<Customer>) {}

  /** Recovery point 1: the row, before Stripe is called. */
  record(execution: IdempotentExecution, fields: NewCustomer): Promise<RecordedRow<Customer>> {
    return recordForRequest(this.customers, execution, insertFields(this.customers, fields), 'customer');
  }

  stripeAttemptAge(recorded: RecordedRow<Customer>): Promise<number> {
    return stripeAttemptAge(this.customers, recorded);
  }

  /** Recovery point 3: the Stripe id, written once. Returns the row as it is then. */
  async linkStripeCustomer(id: string, stripeCustomerId: string): Promise<Customer> {
    await this.customers.update({ id, stripeCustomerId: IsNull() }, { stripeCustomerId });
    return this.customers.findOneByOrFail({ id });
  }

  /** Another tenant's customer is as absent as a missing one. */
  findCreated(tenantId: string, id: string): Promise<Customer | null> {
    return this.customers.findOneBy({ id, tenantId, stripeCustomerId: Not(IsNull()) });
  }

  /** Reads in the request's pending transaction, if any, so a request never holds two connections. */
  ownsStripeCustomer(tenantId: string, stripeCustomerId: string): Promise<boolean> {
    return runInUnitOfWork('read', this.customers.manager, (manager) =>
      manager.existsBy(Customer, { tenantId, stripeCustomerId }),
    );
  }
}
