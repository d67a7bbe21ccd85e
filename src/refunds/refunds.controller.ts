import { Body, Controller, Get, Param, ParseUUIDPipe, Post, Res } from '@nestjs/common';
import { ApiCreatedResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { ApiAuthenticated, CurrentPrincipal, Principal } from '../auth';
import { CommonErrorCode } from '../common/errors/common.exception';
import { uuidParamExceptionFactory } from '../common/errors/validation-exception.factory';
import { ApiErrors } from '../common/openapi/api-errors.decorator';
import { locationHeader } from '../common/openapi/response-headers';
import { ApiUuidParam } from '../common/validation/uuid';
import {
  CurrentIdempotentExecution,
  IDEMPOTENT_REPLAYED_RESPONSE_HEADER,
  Idempotent,
  IdempotentExecution,
} from '../idempotency';
import { PaymentErrorCode } from '../payments';
import { StripeErrorCode } from '../stripe';
import { RateLimit } from '../rate-limit';
import { CreateRefundDto } from './dto/create-refund.dto';
import { RefundListDto, RefundResponseDto } from './dto/refund-response.dto';
import { RefundErrorCode } from './refund.exception';
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
  @ApiOperation({
    operationId: 'createRefund',
    summary: 'Refund all or part of what is left of a succeeded payment',
    description:
      'Without `amount`, refunds what is left. More than is left is `422 REFUND_EXCEEDS_PAYMENT` (`details.remaining`); a refund that fits only if refunds still in flight fail is `409 REFUND_IN_PROGRESS`, to retry. Exactly once per `Idempotency-Key`.',
  })
  @ApiCreatedResponse({
    type: RefundResponseDto,
    description: 'The refund; a `pending` one follows Stripe until it settles',
    headers: { ...locationHeader('/refunds/{id}'), ...IDEMPOTENT_REPLAYED_RESPONSE_HEADER },
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
    @Res({ passthrough: true }) response: FastifyReply,
  ): Promise<RefundResponseDto> {
    const refund = await this.refunds.refund(execution, dto);
    response.header('Location', `/refunds/${refund.id}`);
    return RefundResponseDto.from(refund);
  }

  @Get(':id')
  @ApiOperation({
    operationId: 'getRefund',
    summary: 'Read one of your refunds, whichever channel made it, at its Stripe status',
    description: 'Another tenant’s refund is the same 404 as a missing one.',
  })
  @ApiUuidParam('id', 'The refund’s `id`')
  @ApiOkResponse({ type: RefundResponseDto, description: 'The refund' })
  @ApiErrors(
    CommonErrorCode.VALIDATION_FAILED,
    RefundErrorCode.REFUND_NOT_FOUND,
    CommonErrorCode.SERVICE_UNAVAILABLE,
  )
  async get(
    @Param('id', new ParseUUIDPipe({ exceptionFactory: uuidParamExceptionFactory('id') })) id: string,
    @CurrentPrincipal() principal: Principal,
  ): Promise<RefundResponseDto> {
    return RefundResponseDto.from(await this.refunds.getRefund(principal.tenantId, id));
  }
}

@ApiTags('refunds')
@ApiAuthenticated()
@ApiErrors(CommonErrorCode.INTERNAL_ERROR)
@Controller('payments')
export class PaymentRefundsController {
  constructor(private readonly refunds: RefundsService) {}

  @Get(':id/refunds')
  @ApiOperation({
    operationId: 'listPaymentRefunds',
    summary: 'List every refund of one of your payments: made here, in the Stripe Dashboard or elsewhere',
    description: 'Oldest first, each at its Stripe status. Takes no query parameters.',
  })
  @ApiUuidParam('id', 'The payment’s `id`')
  @ApiOkResponse({ type: RefundListDto, description: 'The refunds, oldest first' })
  @ApiErrors(
    CommonErrorCode.VALIDATION_FAILED,
    PaymentErrorCode.PAYMENT_NOT_FOUND,
    CommonErrorCode.SERVICE_UNAVAILABLE,
  )
  async list(
    @Param('id', new ParseUUIDPipe({ exceptionFactory: uuidParamExceptionFactory('id') })) id: string,
    @CurrentPrincipal() principal: Principal,
  ): Promise<RefundListDto> {
    const refunds = await this.refunds.listForPayment(principal.tenantId, id);
    return { data: refunds.map((refund) => RefundResponseDto.from(refund)) };
  }
}
