import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn } from 'class-validator';
import { CreatedRangeQueryDto } from '../../common/pagination/page-query.dto';
import { IsOptionalNotNull } from '../../common/validation/optional.decorator';
import { IsUuid } from '../../common/validation/uuid';
import { EVENT_TYPES, EventType } from '../event-types';

export class ListEventsQueryDto extends CreatedRangeQueryDto {
  @IsOptionalNotNull()
  @IsIn(EVENT_TYPES)
  @ApiPropertyOptional({ enum: EVENT_TYPES, example: 'payment.succeeded' })
  type?: EventType;

  @IsUuid({ optional: true, description: 'Events of this payment and of its refunds' })
  paymentId?: string;
}
