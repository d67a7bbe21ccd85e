import { Body, Controller, Get, Param, ParseUUIDPipe, Post, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiCreatedResponse, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import { CurrentPrincipal, Principal } from '../auth/principal';
import { uuidParamExceptionFactory } from '../common/errors/validation-exception.factory';
import { CurrentIdempotentExecution, Idempotent, IdempotentExecution } from '../idempotency';
import { RateLimit } from '../rate-limit';
import { ChargeFeeDto } from './dto/charge-fee.dto';
import { PaymentResponseDto } from './dto/payment-response.dto';
import { ProcessPaymentDto } from './dto/process-payment.dto';
import { PaymentsService } from './payments.service';

@ApiTags('payments')
@ApiBearerAuth()
@Controller('payments')
export class PaymentsController {
  constructor(private readonly payments: PaymentsService) {}

  @Post('process')
  @RateLimit('payments')
  @Idempotent()
  @ApiCreatedResponse({ type: PaymentResponseDto, description: 'PaymentIntent created and confirmed' })
  async process(
    @Body() dto: ProcessPaymentDto,
    @CurrentIdempotentExecution() execution: IdempotentExecution,
    @Res({ passthrough: true }) response: Response,
  ): Promise<PaymentResponseDto> {
    const payment = await this.payments.processPayment(execution, dto);
    response.location(`/payments/${payment.id}`);
    return PaymentResponseDto.from(payment);
  }

  @Post('fees')
  @RateLimit('payments')
  @Idempotent()
  @ApiCreatedResponse({ type: PaymentResponseDto, description: 'Fee charged (kind: "fee")' })
  async fee(
    @Body() dto: ChargeFeeDto,
    @CurrentIdempotentExecution() execution: IdempotentExecution,
    @Res({ passthrough: true }) response: Response,
  ): Promise<PaymentResponseDto> {
    const payment = await this.payments.chargeFee(execution, dto);
    response.location(`/payments/${payment.id}`);
    return PaymentResponseDto.from(payment);
  }

  @Get(':id')
  @ApiOkResponse({ type: PaymentResponseDto })
  async get(
    @Param('id', new ParseUUIDPipe({ exceptionFactory: uuidParamExceptionFactory('id') })) id: string,
    @CurrentPrincipal() principal: Principal,
  ): Promise<PaymentResponseDto> {
    return PaymentResponseDto.from(await this.payments.getPayment(principal.tenantId, id));
  }
}
