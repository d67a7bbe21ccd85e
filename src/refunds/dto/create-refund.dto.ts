import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn } from 'class-validator';
import { IsOptionalNotNull } from '../../common/validation/optional.decorator';
import { IsAmount } from '../../common/validation/money.decorators';
import { IsUuid } from '../../common/validation/uuid';

export const REFUND_REASONS = ['duplicate', 'fraudulent', 'requested_by_customer'] as const;
export type RefundReason = (typeof REFUND_REASONS)[number];

export class CreateRefundDto {
  @IsUuid({ description: 'The payment to refund, one of yours' })
  paymentId!: string;

  /** When omitted, whatever is left is refunded. */
  @IsAmount({ optional: true })
  amount?: number;

  @IsOptionalNotNull()
  @IsIn(REFUND_REASONS)
  @ApiPropertyOptional({ enum: REFUND_REASONS, example: 'requested_by_customer' })
  reason?: RefundReason;
}
