import { IsAmount, IsCurrency, IsDescription, IsStripeId } from '../../common/validation/money.decorators';
import { IsUuid } from '../../common/validation/uuid';

export class ChargeFeeDto {
  @IsAmount()
  amount!: number;

  @IsCurrency()
  currency!: string;

  @IsStripeId('pm', { example: 'pm_card_visa' })
  paymentMethodId!: string;

  @IsUuid({ optional: true, description: 'A payment of the same tenant this fee belongs to' })
  relatedPaymentId?: string;

  @IsDescription()
  description?: string;
}
