import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import {
  PAYMENT_KINDS,
  PAYMENT_STATUSES,
  PaymentKind,
  PaymentStatus,
  PaymentTransaction,
} from '../entities/payment-transaction.entity';

/** A payment as clients see it (docs/openapi.json). Mapped field by field: never an entity. */
export class PaymentResponseDto {
  @ApiProperty({ format: 'uuid', example: '6f1c2a4e-8a0b-4c5d-9e2f-1a2b3c4d5e6f' }) id!: string;
  @ApiProperty({ format: 'uuid' }) tenantId!: string;
  @ApiProperty({ enum: PAYMENT_KINDS }) kind!: PaymentKind;
  @ApiProperty({ enum: PAYMENT_STATUSES }) status!: PaymentStatus;
  @ApiProperty({ type: 'integer', description: 'Minor units', example: 1000 }) amount!: number;
  @ApiProperty({
    type: 'integer',
    description: 'What its pending and succeeded refunds hold, in minor units',
    example: 0,
  })
  amountRefunded!: number;
  @ApiProperty({ example: 'usd' }) currency!: string;
  @ApiProperty({ nullable: true, type: String }) stripePaymentIntentId!: string | null;
  @ApiProperty({ nullable: true, type: String }) customerId!: string | null;
  @ApiProperty({ nullable: true, type: String }) description!: string | null;
  @ApiProperty({ type: 'object', additionalProperties: { type: 'string' } }) metadata!: Record<
    string,
    string
  >;
  @ApiPropertyOptional({ format: 'uuid', nullable: true, type: String }) relatedPaymentId?: string | null;
  @ApiProperty({ format: 'date-time' }) createdAt!: string;
  @ApiProperty({ format: 'date-time' }) updatedAt!: string;

  static from(payment: PaymentTransaction): PaymentResponseDto {
    return {
      id: payment.id,
      tenantId: payment.tenantId,
      kind: payment.kind,
      status: payment.status,
      amount: payment.amount,
      amountRefunded: payment.amountRefunded,
      currency: payment.currency,
      stripePaymentIntentId: payment.stripePaymentIntentId,
      customerId: payment.customerId,
      description: payment.description,
      metadata: payment.metadata,
      ...(payment.kind === 'fee' ? { relatedPaymentId: payment.relatedPaymentId } : {}),
      createdAt: payment.createdAt.toISOString(),
      updatedAt: payment.updatedAt.toISOString(),
    };
  }
}

/** `POST /intents` answers the payment plus the secret the client confirms it with. */
export class IntentResponseDto extends PaymentResponseDto {
  @ApiProperty({
    description: 'What the client confirms the PaymentIntent with',
    example: 'pi_123_secret_456',
  })
  clientSecret!: string;
}

export class PaymentPageDto {
  @ApiProperty({ type: [PaymentResponseDto] }) data!: PaymentResponseDto[];
  @ApiProperty({
    nullable: true,
    type: String,
    description: 'Pass as `cursor` for the next page; null on the last',
  })
  nextCursor!: string | null;
}
