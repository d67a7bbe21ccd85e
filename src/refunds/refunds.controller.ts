import { Body, Controller, Post } from '@nestjs/common';
import { ApiCreatedResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { CommonErrorCode } from '../common/errors/common-error-code';
import { ApiAuthenticated } from '../common/openapi/api-authenticated.decorator';
import { ApiErrors } from '../common/openapi/api-errors.decorator';
import {
  CurrentIdempotentExecution,
  IDEMPOTENT_REPLAYED_RESPONSE_HEADER,
  Idempotent,
  IdempotentExecution,
} from '../idempotency';
import { PaymentErrorCode } from '../payments/payment-error-code';
import { StripeErrorCode } from '../stripe/stripe-error-code';
import { RateLimit } from '../rate-limit';
import { CreateRefundDto } from './dto/create-refund.dto';
import { RefundResponseDto } from './dto/refund-response.dto';
import { RefundErrorCode } from './refund-error-code';
import { RefundsService } from './refunds.service';

@ApiTags('refunds')
@ApiAuthenticated()
@ApiErrors(CommonErrorCode.INTERNAL_ERROR)
@Controller('refunds')
export class RefundsController {
  constructor(private readonly refunds: RefundsService) {}

  @Post()
  @RateLimit('refunds')
  @Idempotent()
  @ApiOperation({ summary: 'Refund all or part of what is left of a succeeded payment' })
  @ApiCreatedResponse({
    type: RefundResponseDto,
    description: 'The refund; a `pending` one is settled later by Stripe',
    headers: IDEMPOTENT_REPLAYED_RESPONSE_HEADER,
  })
  @ApiErrors(
    PaymentErrorCode.PAYMENT_NOT_FOUND,
    RefundErrorCode.PAYMENT_NOT_REFUNDABLE,
    RefundErrorCode.REFUND_EXCEEDS_PAYMENT,
    RefundErrorCode.REFUND_IN_PROGRESS,
    StripeErrorCode.PAYMENT_PROVIDER_REJECTED,
    StripeErrorCode.PAYMENT_PROVIDER_UNAVAILABLE,
  )
  async create(
    @Body() dto: CreateRefundDto,
    @CurrentIdempotentExecution() execution: IdempotentExecution,
  ): Promise<RefundResponseDto> {
    return RefundResponseDto.from(await this.refunds.refund(execution, dto));
  }
}
