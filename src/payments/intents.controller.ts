import { Body, Controller, Post, Res } from '@nestjs/common';
import { ApiCreatedResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { CommonErrorCode } from '../common/errors/common.exception';
import { ApiAuthenticated } from '../auth';
import { ApiErrors } from '../common/openapi/api-errors.decorator';
import { locationHeader } from '../common/openapi/response-headers';
import {
  CurrentIdempotentExecution,
  IDEMPOTENT_REPLAYED_RESPONSE_HEADER,
  Idempotent,
  IdempotentExecution,
} from '../idempotency';
import { CustomerErrorCode } from '../customers';
import { StripeErrorCode } from '../stripe';
import { RateLimit } from '../rate-limit';
import { CreateIntentDto } from './dto/create-intent.dto';
import { IntentResponseDto, PaymentResponseDto } from './dto/payment-response.dto';
import { PaymentCreationService } from './payment-creation.service';

@ApiTags('payments')
@ApiAuthenticated()
@ApiErrors(CommonErrorCode.INTERNAL_ERROR)
@Controller('intents')
export class IntentsController {
  constructor(private readonly creation: PaymentCreationService) {}

  @Post()
  @RateLimit('payments')
  @Idempotent({ sharesUnitOfWork: true })
  @ApiOperation({
    operationId: 'createIntent',
    summary: 'Create an unconfirmed PaymentIntent for the client to confirm',
    description:
      'The payment starts as `requires_payment_method`; its `clientSecret` lets your client confirm it with Stripe, and webhooks bring its status here. Exactly once per `Idempotency-Key`.',
  })
  @ApiCreatedResponse({
    type: IntentResponseDto,
    description: 'Unconfirmed PaymentIntent and its client secret',
    headers: { ...locationHeader('/payments/{id}'), ...IDEMPOTENT_REPLAYED_RESPONSE_HEADER },
  })
  @ApiErrors(
    CustomerErrorCode.CUSTOMER_NOT_FOUND,
    StripeErrorCode.PAYMENT_PROVIDER_REJECTED,
    StripeErrorCode.PAYMENT_PROVIDER_UNAVAILABLE,
  )
  async create(
    @Body() dto: CreateIntentDto,
    @CurrentIdempotentExecution() execution: IdempotentExecution,
    @Res({ passthrough: true }) response: FastifyReply,
  ): Promise<IntentResponseDto> {
    const { payment, clientSecret } = await this.creation.createIntent(execution, dto);
    response.header('Location', `/payments/${payment.id}`);
    return { ...PaymentResponseDto.from(payment), clientSecret };
  }
}
