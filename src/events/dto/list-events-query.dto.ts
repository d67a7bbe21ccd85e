import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn } from 'class-validator';
import { PageQueryDto } from '../../common/pagination/page-query.dto';
import { IsDateTime } from '../../common/validation/date-time';
import { IsOptionalNotNull } from '../../common/validation/optional.decorator';
import { IsUuid } from '../../common/validation/uuid';
import { EVENT_TYPES, EventType } from '../event-types';

export class ListEventsQueryDto extends PageQueryDto {
  @IsOptionalNotNull()
  @IsIn(EVENT_TYPES)
  @ApiPropertyOptional({ enum: EVENT_TYPES, example: 'payment.succeeded' })
  type?: EventType;

  @IsUuid({ optional: true, description: 'Events of this payment and of its refunds' })
  paymentId?: string;

  @IsDateTime({ optional: true, description: 'Events created at or after this instant' })
  createdFrom?: string;

  @IsDateTime({ optional: true, description: 'Events created at or before this instant' })
  createdTo?: string;
}
