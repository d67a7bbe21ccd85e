import { Body, Controller, Get, Param, ParseUUIDPipe, Post, Query, Res } from '@nestjs/common';
import { ApiCreatedResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { ApiAuthenticated, CurrentPrincipal, Principal } from '../auth';
import { CommonErrorCode } from '../common/errors/common.exception';
import { uuidParamExceptionFactory } from '../common/errors/validation-exception.factory';
import { ApiErrors } from '../common/openapi/api-errors.decorator';
import { invalidCursor } from '../common/pagination/invalid-cursor';
import { decodeKeysetCursor } from '../common/pagination/keyset-cursor';
import { createdRangeOf, DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE } from '../common/pagination/page-query.dto';
import { locationHeader } from '../common/openapi/response-headers';
import { ApiUuidParam } from '../common/validation/uuid';
import {
  CurrentIdempotentExecution,
  IDEMPOTENT_REPLAYED_RESPONSE_HEADER,
  Idempotent,
  IdempotentExecution,
} from '../idempotency';
import { CustomerErrorCode } from '../customers';
import { StripeErrorCode } from '../stripe';
import { RateLimit } from '../rate-limit';
import { ChargeFeeDto } from './dto/charge-fee.dto';
import { ListPaymentsQueryDto } from './dto/list-payments-query.dto';
import { PaymentPageDto, PaymentResponseDto } from './dto/payment-response.dto';
import { ProcessPaymentDto } from './dto/process-payment.dto';
import { PaymentErrorCode } from './payment.exception';
import { PaymentCreationService } from './payment-creation.service';
import { PaymentsService } from './payments.service';

@ApiTags('payments')
@ApiAuthenticated()
@ApiErrors(CommonErrorCode.INTERNAL_ERROR)
@Controller('payments')
export class PaymentsController {
  constructor(
    private readonly creation: PaymentCreationService,
    private readonly payments: PaymentsService,
  ) {}

  @Post('process')
  @RateLimit('payments')
  @Idempotent({ sharesUnitOfWork: true })
  @ApiOperation({
    operationId: 'createPayment',
    summary: 'Charge a payment method: a PaymentIntent created and confirmed',
    description:
      'Exactly once per `Idempotency-Key`: a retry with the same key and body gets the first answer again (`Idempotent-Replayed: true`), a declined card included; another body under the key is `422 IDEMPOTENCY_KEY_MISMATCH`.',
  })
  @ApiCreatedResponse({
    type: PaymentResponseDto,
    description: 'PaymentIntent created and confirmed',
    headers: { ...locationHeader('/payments/{id}'), ...IDEMPOTENT_REPLAYED_RESPONSE_HEADER },
  })
  @ApiErrors(
    CustomerErrorCode.CUSTOMER_NOT_FOUND,
    StripeErrorCode.CARD_DECLINED,
    StripeErrorCode.PAYMENT_METHOD_INVALID,
    StripeErrorCode.PAYMENT_PROVIDER_REJECTED,
    StripeErrorCode.PAYMENT_PROVIDER_UNAVAILABLE,
  )
  async process(
    @Body() dto: ProcessPaymentDto,
    @CurrentIdempotentExecution() execution: IdempotentExecution,
    @Res({ passthrough: true }) response: FastifyReply,
  ): Promise<PaymentResponseDto> {
    const payment = await this.creation.processPayment(execution, dto);
    response.header('Location', `/payments/${payment.id}`);
    return PaymentResponseDto.from(payment);
  }

  @Post('fees')
  @RateLimit('payments')
  @Idempotent({ sharesUnitOfWork: true })
  @ApiOperation({
    operationId: 'chargeFee',
    summary: 'Charge a fee, optionally tied to one of your payments',
    description:
      'A payment of `kind: "fee"`; `relatedPaymentId`, when given, must name one of your payments. Exactly once per `Idempotency-Key`, as `createPayment`.',
  })
  @ApiCreatedResponse({
    type: PaymentResponseDto,
    description: 'Fee charged (kind: "fee")',
    headers: { ...locationHeader('/payments/{id}'), ...IDEMPOTENT_REPLAYED_RESPONSE_HEADER },
  })
  @ApiErrors(
    PaymentErrorCode.RELATED_PAYMENT_NOT_FOUND,
    StripeErrorCode.CARD_DECLINED,
    StripeErrorCode.PAYMENT_METHOD_INVALID,
    StripeErrorCode.PAYMENT_PROVIDER_REJECTED,
    StripeErrorCode.PAYMENT_PROVIDER_UNAVAILABLE,
  )
  async fee(
    @Body() dto: ChargeFeeDto,
    @CurrentIdempotentExecution() execution: IdempotentExecution,
    @Res({ passthrough: true }) response: FastifyReply,
  ): Promise<PaymentResponseDto> {
    const payment = await this.creation.chargeFee(execution, dto);
    response.header('Location', `/payments/${payment.id}`);
    return PaymentResponseDto.from(payment);
  }

  @Get()
  @ApiOperation({
    operationId: 'listPayments',
    summary: 'List your payments, newest first',
    description: `Filtered by \`status\`, \`customerId\` and creation time (\`createdFrom\`, \`createdTo\`, both inclusive). Pages of \`limit\` (1–${MAX_PAGE_SIZE}, ${DEFAULT_PAGE_SIZE} by default); pass \`nextCursor\` as \`cursor\` for the next. Ordered by when each payment’s request began, so one still being created may appear later on a page already read: to catch up, read from the first page again. Any other query parameter is \`400 VALIDATION_FAILED\`.`,
  })
  @ApiOkResponse({ type: PaymentPageDto, description: 'A page of your payments' })
  @ApiErrors(CommonErrorCode.VALIDATION_FAILED, CommonErrorCode.SERVICE_UNAVAILABLE)
  async list(
    @Query() query: ListPaymentsQueryDto,
    @CurrentPrincipal() principal: Principal,
  ): Promise<PaymentPageDto> {
    if (query.cursor !== undefined && !decodeKeysetCursor(query.cursor)) throw invalidCursor();
    const page = await this.payments.list({
      tenantId: principal.tenantId,
      status: query.status,
      customerId: query.customerId,
      ...createdRangeOf(query),
      limit: query.limit ?? DEFAULT_PAGE_SIZE,
      cursor: query.cursor,
    });
    return {
      data: page.data.map((payment) => PaymentResponseDto.from(payment)),
      nextCursor: page.nextCursor,
    };
  }

  @Get(':id')
  @ApiOperation({
    operationId: 'getPayment',
    summary: 'Read one of your payments',
    description: 'Another tenant’s payment is the same 404 as a missing one.',
  })
  @ApiUuidParam('id', 'The payment’s `id`')
  @ApiOkResponse({ type: PaymentResponseDto, description: 'The payment' })
  @ApiErrors(
    CommonErrorCode.VALIDATION_FAILED,
    PaymentErrorCode.PAYMENT_NOT_FOUND,
    CommonErrorCode.SERVICE_UNAVAILABLE,
  )
  async get(
    @Param('id', new ParseUUIDPipe({ exceptionFactory: uuidParamExceptionFactory('id') })) id: string,
    @CurrentPrincipal() principal: Principal,
  ): Promise<PaymentResponseDto> {
    return PaymentResponseDto.from(await this.payments.getPayment(principal.tenantId, id));
  }
}
