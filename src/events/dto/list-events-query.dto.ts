import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsISO8601, IsUUID } from 'class-validator';
import { PageQueryDto } from '../../common/pagination/page-query.dto';
import { IsOptionalNotNull } from '../../common/validation/optional.decorator';
import { EVENT_TYPES, EventType } from '../event-types';

export class ListEventsQueryDto extends PageQueryDto {
  @IsOptionalNotNull()
  @IsIn(EVENT_TYPES)
  @ApiPropertyOptional({ enum: EVENT_TYPES })
  type?: EventType;

  @IsOptionalNotNull()
  @IsUUID()
  @ApiPropertyOptional({ format: 'uuid', description: 'Events of this payment and of its refunds' })
  paymentId?: string;

  @IsOptionalNotNull()
  @IsISO8601({ strict: true })
  @ApiPropertyOptional({ format: 'date-time', description: 'Events created at or after this instant' })
  createdFrom?: string;

  @IsOptionalNotNull()
  @IsISO8601({ strict: true })
  @ApiPropertyOptional({ format: 'date-time', description: 'Events created at or before this instant' })
  createdTo?: string;
}
