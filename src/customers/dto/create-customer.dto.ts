import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsEmail, IsOptional, IsString, MaxLength } from 'class-validator';
import { IsStripeMetadata } from '../../common/validation/money.decorators';

export class CreateCustomerDto {
  @IsOptional()
  @IsEmail()
  @MaxLength(512)
  @ApiPropertyOptional({ format: 'email', maxLength: 512 })
  email?: string;

  @IsOptional()
  @IsString()
  @MaxLength(256)
  @ApiPropertyOptional({ maxLength: 256 })
  name?: string;

  @IsStripeMetadata()
  metadata?: Record<string, string>;
}
