import { ApiProperty } from '@nestjs/swagger';
import { Customer } from '../entities/customer.entity';

/** A customer as clients see it (docs/design/requests.md); mapped field by field, never an entity. */
export class CustomerResponseDto {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty({ example: 'cus_123', description: 'The id payments name in `customerId`' })
  stripeCustomerId!: string;
  @ApiProperty({ nullable: true, type: String }) email!: string | null;
  @ApiProperty({ nullable: true, type: String }) name!: string | null;
  @ApiProperty({ type: 'object', additionalProperties: { type: 'string' } }) metadata!: Record<
    string,
    string
  >;
  @ApiProperty({ format: 'date-time' }) createdAt!: string;

  static from(customer: Customer & { stripeCustomerId: string }): CustomerResponseDto {
    return {
      id: customer.id,
      stripeCustomerId: customer.stripeCustomerId,
      email: customer.email,
      name: customer.name,
      metadata: customer.metadata,
      createdAt: customer.createdAt.toISOString(),
    };
  }
}
