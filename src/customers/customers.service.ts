import { Injectable } from '@nestjs/common';
import { IdempotentExecution, stripeIdempotencyKey } from '../idempotency';
import { StripeAttempts, StripeGateway } from '../stripe';
import { CreateCustomerDto } from './dto/create-customer.dto';
import { CustomerRepository } from './customer.repository';
import { Customer } from './entities/customer.entity';
import { CustomerErrorCode, CustomerException } from './customer.exception';

export type CreatedCustomer = Customer & { stripeCustomerId: string };

/** Created at Stripe exactly once per scoped key, with the same recovery points as payments. */
@Injectable()
export class CustomersService {
  constructor(
    private readonly customers: CustomerRepository,
    private readonly stripe: StripeGateway,
    private readonly attempts: StripeAttempts,
  ) {}

  async createCustomer(execution: IdempotentExecution, dto: CreateCustomerDto): Promise<CreatedCustomer> {
    const recorded = await this.customers.record(execution, {
      email: dto.email ?? null,
      name: dto.name ?? null,
      metadata: dto.metadata ?? {},
    });
    const customer = recorded.row;
    if (customer.stripeCustomerId) return customer as CreatedCustomer;

    await execution.ensureHeld();
    const created = await this.attempts.createOnce({
      recordAttempt: () => this.customers.stripeAttemptAge(recorded),
      find: () => this.stripe.findCustomerByMetadata('ps_customer_id', customer.id),
      create: () =>
        this.stripe.createCustomer(
          {
            email: customer.email ?? undefined,
            name: customer.name ?? undefined,
            metadata: { ...customer.metadata, ps_customer_id: customer.id, ps_tenant_id: customer.tenantId },
          },
          stripeIdempotencyKey(execution, 'customers.create'),
        ),
    });
    await execution.ensureHeld();
    return (await this.customers.linkStripeCustomer(customer.id, created.id)) as CreatedCustomer;
  }

  /** A customer not yet created at Stripe does not exist for clients. */
  async getCustomer(tenantId: string, id: string): Promise<CreatedCustomer> {
    const customer = await this.customers.findCreated(tenantId, id);
    if (!customer) throw notFound();
    return customer as CreatedCustomer;
  }

  /** Another tenant's customer is the same 404 as an unknown one (docs/design/requests.md). */
  async ensureOwned(tenantId: string, stripeCustomerId: string): Promise<void> {
    if (!(await this.customers.ownsStripeCustomer(tenantId, stripeCustomerId))) {
      throw notFound({ field: 'customerId' });
    }
  }
}

function notFound(details?: Record<string, unknown>): CustomerException {
  return new CustomerException(CustomerErrorCode.CUSTOMER_NOT_FOUND, 'Customer not found', details);
}
