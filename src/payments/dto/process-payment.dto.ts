import { IsStripeId } from '../../common/validation/money.decorators';
import { CreateIntentDto } from './create-intent.dto';

export class ProcessPaymentDto extends CreateIntentDto {
  @IsStripeId('pm', { example: 'pm_card_visa' })
  paymentMethodId!: string;
}
