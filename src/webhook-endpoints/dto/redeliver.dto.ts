import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsISO8601, IsUUID } from 'class-validator';
import { IsOptionalNotNull } from '../../common/validation/optional.decorator';

export class ResendEventDto {
  @IsOptionalNotNull()
  @IsUUID()
  @ApiPropertyOptional({
    format: 'uuid',
    description: 'Only to this endpoint; by default to every enabled endpoint subscribed to the event’s type',
  })
  endpointId?: string;
}

export class RecoverDeliveriesDto {
  @IsISO8601({ strict: true })
  @ApiProperty({
    format: 'date-time',
    description: 'Failed deliveries of events created at or after this instant are made again',
  })
  since!: string;
}

export class RedeliveryResponseDto {
  @ApiProperty({ format: 'uuid', isArray: true, description: 'The deliveries due now' })
  deliveryIds!: string[];
}
