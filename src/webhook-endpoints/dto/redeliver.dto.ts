import { ApiProperty } from '@nestjs/swagger';
import { IsDateTime } from '../../common/validation/date-time';
import { IsUuid } from '../../common/validation/uuid';

export class ResendEventDto {
  @IsUuid({
    optional: true,
    description: 'Only to this endpoint; by default to every enabled endpoint subscribed to the event’s type',
  })
  endpointId?: string;
}

export class RecoverDeliveriesDto {
  @IsDateTime({ description: 'Failed deliveries of events created at or after this instant are made again' })
  since!: string;
}

export class RedeliveryResponseDto {
  @ApiProperty({ type: 'string', format: 'uuid', isArray: true, description: 'The deliveries due now' })
  deliveryIds!: string[];
}
