import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn } from 'class-validator';
import { CreatedRangeQueryDto } from '../../common/pagination/page-query.dto';
import { IsStripeId } from '../../common/validation/money.decorators';
import { IsOptionalNotNull } from '../../common/validation/optional.decorator';
import { PAYMENT_STATUSES, PaymentStatus } from '../entities/payment-transaction.entity';

export class ListPaymentsQueryDto extends CreatedRangeQueryDto {
  @IsOptionalNotNull()
  @IsIn(PAYMENT_STATUSES)
  @ApiPropertyOptional({ enum: PAYMENT_STATUSES })
  status?: PaymentStatus;

  @IsStripeId('cus', { optional: true })
  customerId?: string;
}
