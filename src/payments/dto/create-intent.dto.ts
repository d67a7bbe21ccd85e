import {
  IsAmount,
  IsCurrency,
  IsDescription,
  IsStripeId,
  IsStripeMetadata,
} from '../../common/validation/money.decorators';

export class CreateIntentDto {
  @IsAmount()
  amount!: number;

  @IsCurrency()
  currency!: string;

  @IsStripeId('cus', { optional: true })
  customerId?: string;

  @IsDescription()
  description?: string;

  @IsStripeMetadata()
  metadata?: Record<string, string>;
}
