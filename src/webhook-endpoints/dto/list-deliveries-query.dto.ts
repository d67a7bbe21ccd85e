import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn } from 'class-validator';
import { PageQueryDto } from '../../common/pagination/page-query.dto';
import { IsOptionalNotNull } from '../../common/validation/optional.decorator';
import { DELIVERY_STATUSES, DeliveryStatus } from '../webhook-delivery.repository';

export class ListDeliveriesQueryDto extends PageQueryDto {
  @IsOptionalNotNull()
  @IsIn(DELIVERY_STATUSES)
  @ApiPropertyOptional({ enum: DELIVERY_STATUSES })
  status?: DeliveryStatus;
}
