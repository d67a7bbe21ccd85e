import { ApiProperty } from '@nestjs/swagger';
import {
  Refund,
  REFUND_SOURCES,
  REFUND_STATUSES,
  RefundSource,
  RefundStatus,
} from '../entities/refund.entity';

export class RefundResponseDto {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty({ format: 'uuid' }) tenantId!: string;
  @ApiProperty({ format: 'uuid' }) paymentId!: string;
  @ApiProperty({ type: 'integer', description: 'Minor units', example: 400 }) amount!: number;
  @ApiProperty({ example: 'usd' }) currency!: string;
  @ApiProperty({
    enum: REFUND_STATUSES,
    description:
      "Stripe's status of the refund. `pending` and `requires_action` hold their amount; `failed` and `canceled` give it back, also after `succeeded` (a card refund can bounce)",
  })
  status!: RefundStatus;
  @ApiProperty({ nullable: true, type: String }) reason!: string | null;
  @ApiProperty({
    nullable: true,
    type: String,
    description:
      "Why it failed: Stripe's `failure_reason` (`declined`, `expired_or_canceled_card`, …); for a refund Stripe never made, Stripe's error code or `not_created`",
  })
  failureReason!: string | null;
  @ApiProperty({
    enum: REFUND_SOURCES,
    description:
      '`api`: made through this API; `outside`: made elsewhere (the Stripe Dashboard, another integration)',
  })
  source!: RefundSource;
  @ApiProperty({ nullable: true, type: String }) stripeRefundId!: string | null;
  @ApiProperty({ format: 'date-time' }) createdAt!: string;
  @ApiProperty({ format: 'date-time' }) updatedAt!: string;

  static from(refund: Refund): RefundResponseDto {
    return {
      id: refund.id,
      tenantId: refund.tenantId,
      paymentId: refund.paymentId,
      amount: refund.amount,
      currency: refund.currency,
      status: refund.status,
      reason: refund.reason,
      failureReason: refund.failureReason,
      source: refund.source,
      stripeRefundId: refund.stripeRefundId,
      createdAt: refund.createdAt.toISOString(),
      updatedAt: refund.updatedAt.toISOString(),
    };
  }
}

export class RefundListDto {
  @ApiProperty({ type: [RefundResponseDto] }) data!: RefundResponseDto[];
}
