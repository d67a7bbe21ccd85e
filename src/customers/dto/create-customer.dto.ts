import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsString, MaxLength } from 'class-validator';
import { IsStripeMetadata } from '../../common/validation/money.decorators';
import { IsOptionalNotNull } from '../../common/validation/optional.decorator';
import { IsSafeEmail, IsSafeText } from '../../common/validation/safe-text.decorator';

export class CreateCustomerDto {
  @IsOptionalNotNull()
  @IsSafeEmail()
  @MaxLength(512)
  @ApiPropertyOptional({ type: 'string', format: 'email', maxLength: 512, example: 'jane@example.com' })
  email?: string;

  @IsOptionalNotNull()
  @IsString()
  @IsSafeText()
  @MaxLength(256)
  @ApiPropertyOptional({ type: 'string', maxLength: 256, example: 'Jane Doe' })
  name?: string;

  @IsStripeMetadata()
  metadata?: Record<string, string>;
}
