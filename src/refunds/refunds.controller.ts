import { Body, Controller, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiCreatedResponse, ApiTags } from '@nestjs/swagger';
import { CurrentIdempotentExecution, Idempotent, IdempotentExecution } from '../idempotency';
import { RateLimit } from '../rate-limit';
import { CreateRefundDto } from './dto/create-refund.dto';
import { RefundResponseDto } from './dto/refund-response.dto';
import { RefundsService } from './refunds.service';

@ApiTags('refunds')
@ApiBearerAuth()
@Controller('refunds')
export class RefundsController {
  constructor(private readonly refunds: RefundsService) {}

  @Post()
  @RateLimit('refunds')
  @Idempotent()
  @ApiCreatedResponse({ type: RefundResponseDto })
  async create(
    @Body() dto: CreateRefundDto,
    @CurrentIdempotentExecution() execution: IdempotentExecution,
  ): Promise<RefundResponseDto> {
    return RefundResponseDto.from(await this.refunds.refund(execution, dto));
  }
}
