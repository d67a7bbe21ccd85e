import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsUUID } from 'class-validator';
import { CreatedRangeQueryDto } from '../../common/pagination/page-query.dto';
import { IsOptionalNotNull } from '../../common/validation/optional.decorator';
import { EVENT_TYPES, EventType } from '../event-types';

export class ListEventsQueryDto extends CreatedRangeQueryDto {
  @IsOptionalNotNull()
  @IsIn(EVENT_TYPES)
  @ApiPropertyOptional({ enum: EVENT_TYPES })
  type?: EventType;

  @IsOptionalNotNull()
  @IsUUID()
  @ApiPropertyOptional({ format: 'uuid', description: 'Events of this payment and of its refunds' })
  paymentId?: string;
}
