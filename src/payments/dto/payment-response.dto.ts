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
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty({ format: 'uuid' }) tenantId!: string;
  @ApiProperty({ enum: PAYMENT_KINDS }) kind!: PaymentKind;
  @ApiProperty({ enum: PAYMENT_STATUSES }) status!: PaymentStatus;
  @ApiProperty() amount!: number;
  @ApiProperty() amountRefunded!: number;
  @ApiProperty() currency!: string;
  @ApiProperty({ nullable: true, type: String }) stripePaymentIntentId!: string | null;
  @ApiProperty({ nullable: true, type: String }) customerId!: string | null;
  @ApiProperty({ nullable: true, type: String }) description!: string | null;
  @ApiProperty({ type: 'object', additionalProperties: { type: 'string' } }) metadata!: Record<
    string,
    string
  >;
  @ApiPropertyOptional({ format: 'uuid', nullable: true, type: String }) relatedPaymentId?: string | null;
  @ApiProperty() createdAt!: string;
  @ApiProperty() updatedAt!: string;

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
  @ApiProperty() clientSecret!: string;
}
