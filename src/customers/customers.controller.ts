import { Body, Controller, Get, Param, ParseUUIDPipe, Post, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiCreatedResponse, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import { CurrentPrincipal, Principal } from '../auth/principal';
import { uuidParamExceptionFactory } from '../common/errors/validation-exception.factory';
import { CurrentIdempotentExecution, Idempotent, IdempotentExecution } from '../idempotency';
import { CreateCustomerDto } from './dto/create-customer.dto';
import { CustomerResponseDto } from './dto/customer-response.dto';
import { CustomersService } from './customers.service';

@ApiTags('customers')
@ApiBearerAuth()
@Controller('customers')
export class CustomersController {
  constructor(private readonly customers: CustomersService) {}

  @Post()
  @Idempotent()
  @ApiCreatedResponse({
    type: CustomerResponseDto,
    description: 'Stripe customer created for the caller’s tenant',
  })
  async create(
    @Body() dto: CreateCustomerDto,
    @CurrentIdempotentExecution() execution: IdempotentExecution,
    @Res({ passthrough: true }) response: Response,
  ): Promise<CustomerResponseDto> {
    const customer = await this.customers.createCustomer(execution, dto);
    response.location(`/customers/${customer.id}`);
    return CustomerResponseDto.from(customer);
  }

  @Get(':id')
  @ApiOkResponse({ type: CustomerResponseDto })
  async get(
    @Param('id', new ParseUUIDPipe({ exceptionFactory: uuidParamExceptionFactory('id') })) id: string,
    @CurrentPrincipal() principal: Principal,
  ): Promise<CustomerResponseDto> {
    return CustomerResponseDto.from(await this.customers.getCustomer(principal.tenantId, id));
  }
}
