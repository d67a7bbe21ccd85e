import { Body, Controller, Post, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiCreatedResponse, ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import { CurrentIdempotentExecution, Idempotent, IdempotentExecution } from '../idempotency';
import { RateLimit } from '../rate-limit';
import { CreateIntentDto } from './dto/create-intent.dto';
import { IntentResponseDto, PaymentResponseDto } from './dto/payment-response.dto';
import { PaymentsService } from './payments.service';

@ApiTags('payments')
@ApiBearerAuth()
@Controller('intents')
export class IntentsController {
  constructor(private readonly payments: PaymentsService) {}

  @Post()
  @RateLimit('payments')
  @Idempotent()
  @ApiCreatedResponse({
    type: IntentResponseDto,
    description: 'Unconfirmed PaymentIntent and its client secret',
  })
  async create(
    @Body() dto: CreateIntentDto,
    @CurrentIdempotentExecution() execution: IdempotentExecution,
    @Res({ passthrough: true }) response: Response,
  ): Promise<IntentResponseDto> {
    const { payment, clientSecret } = await this.payments.createIntent(execution, dto);
    response.location(`/payments/${payment.id}`);
    return { ...PaymentResponseDto.from(payment), clientSecret };
  }
}
