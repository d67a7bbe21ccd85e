import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsUUID } from 'class-validator';
import { IsOptionalNotNull } from '../../common/validation/optional.decorator';
import { IsAmount } from '../../common/validation/money.decorators';

export const REFUND_REASONS = ['duplicate', 'fraudulent', 'requested_by_customer'] as const;
export type RefundReason = (typeof REFUND_REASONS)[number];

export class CreateRefundDto {
  @IsUUID()
  @ApiProperty({ format: 'uuid' })
  paymentId!: string;

  /** Omitted: whatever is left to refund. */
  @IsAmount({ optional: true })
  amount?: number;

  @IsOptionalNotNull()
  @IsIn(REFUND_REASONS)
  @ApiPropertyOptional({ enum: REFUND_REASONS })
  reason?: RefundReason;
}
