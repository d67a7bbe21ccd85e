import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsUUID } from 'class-validator';
import { IsOptionalNotNull } from '../../common/validation/optional.decorator';
import { IsAmount, IsCurrency, IsDescription, IsStripeId } from '../../common/validation/money.decorators';

export class ChargeFeeDto {
  @IsAmount()
  amount!: number;

  @IsCurrency()
  currency!: string;

  @IsStripeId('pm', { example: 'pm_card_visa' })
  paymentMethodId!: string;

  @IsOptionalNotNull()
  @IsUUID()
  @ApiPropertyOptional({ format: 'uuid', description: 'A payment of the same tenant this fee belongs to' })
  relatedPaymentId?: string;

  @IsDescription()
  description?: string;
}
