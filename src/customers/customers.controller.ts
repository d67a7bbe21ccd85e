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
import { RateLimit } from '../rate-limit';
import { StripeErrorCode } from '../stripe';
import { CustomerErrorCode } from './customer.exception';
import { CreateCustomerDto } from './dto/create-customer.dto';
import { CustomerResponseDto } from './dto/customer-response.dto';
import { CustomersService } from './customers.service';

@ApiTags('customers')
@ApiAuthenticated()
@ApiErrors(CommonErrorCode.INTERNAL_ERROR)
@Controller('customers')
export class CustomersController {
  constructor(private readonly customers: CustomersService) {}

  @Post()
  @RateLimit('customers')
  @Idempotent()
  @ApiOperation({
    operationId: 'createCustomer',
    summary: 'Create a Stripe customer that belongs to your tenant',
    description:
      'Creates the customer at Stripe and records that your tenant owns it; payments then name it by `stripeCustomerId` in `customerId`. Exactly once per `Idempotency-Key`.',
  })
  @ApiCreatedResponse({
    type: CustomerResponseDto,
    description: 'Stripe customer created for the caller’s tenant',
    headers: { ...locationHeader('/customers/{id}'), ...IDEMPOTENT_REPLAYED_RESPONSE_HEADER },
  })
  @ApiErrors(StripeErrorCode.PAYMENT_PROVIDER_REJECTED, StripeErrorCode.PAYMENT_PROVIDER_UNAVAILABLE)
  async create(
    @Body() dto: CreateCustomerDto,
    @CurrentIdempotentExecution() execution: IdempotentExecution,
    @Res({ passthrough: true }) response: FastifyReply,
  ): Promise<CustomerResponseDto> {
    const customer = await this.customers.createCustomer(execution, dto);
    response.header('Location', `/customers/${customer.id}`);
    return CustomerResponseDto.from(customer);
  }

  @Get(':id')
  @ApiOperation({
    operationId: 'getCustomer',
    summary: 'Read one of your customers',
    description: 'Another tenant’s customer is the same 404 as a missing one.',
  })
  @ApiUuidParam('id', 'The customer’s `id`')
  @ApiOkResponse({ type: CustomerResponseDto })
  @ApiErrors(
    CommonErrorCode.VALIDATION_FAILED,
    CustomerErrorCode.CUSTOMER_NOT_FOUND,
    CommonErrorCode.SERVICE_UNAVAILABLE,
  )
  async get(
    @Param('id', new ParseUUIDPipe({ exceptionFactory: uuidParamExceptionFactory('id') })) id: string,
    @CurrentPrincipal() principal: Principal,
  ): Promise<CustomerResponseDto> {
    return CustomerResponseDto.from(await this.customers.getCustomer(principal.tenantId, id));
  }
}
