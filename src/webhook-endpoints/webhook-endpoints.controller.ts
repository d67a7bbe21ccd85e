import {
  Body,
  Controller,
  Delete,
  Get,
  HttpCode,
  HttpStatus,
  Param,
  ParseUUIDPipe,
  Patch,
  Post,
  Query,
  Res,
} from '@nestjs/common';
import {
  ApiAcceptedResponse,
  ApiCreatedResponse,
  ApiNoContentResponse,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
} from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { ApiAuthenticated, CurrentPrincipal, Principal } from '../auth';
import { CommonErrorCode } from '../common/errors/common.exception';
import { uuidParamExceptionFactory } from '../common/errors/validation-exception.factory';
import { ApiErrors } from '../common/openapi/api-errors.decorator';
import { locationHeader } from '../common/openapi/response-headers';
import { invalidCursor } from '../common/pagination/invalid-cursor';
import { decodeKeysetCursor } from '../common/pagination/keyset-cursor';
import { IDEMPOTENT_REPLAYED_RESPONSE_HEADER, Idempotent } from '../idempotency';
import { CreateWebhookEndpointDto } from './dto/create-webhook-endpoint.dto';
import { EmptyBodyDto } from './dto/empty-body.dto';
import { ListDeliveriesQueryDto } from './dto/list-deliveries-query.dto';
import { DEFAULT_PAGE_SIZE } from '../common/pagination/page-query.dto';
import { RecoverDeliveriesDto, RedeliveryResponseDto } from './dto/redeliver.dto';
import { UpdateWebhookEndpointDto } from './dto/update-webhook-endpoint.dto';
import { WebhookDeliveryPageDto, WebhookDeliveryResponseDto } from './dto/webhook-delivery-response.dto';
import {
  RotatedWebhookEndpointDto,
  WebhookEndpointListDto,
  WebhookEndpointResponseDto,
  WebhookEndpointWithSecretDto,
} from './dto/webhook-endpoint-response.dto';
import { WebhookDeliveriesService } from './webhook-deliveries.service';
import { WebhookEndpointErrorCode } from './webhook-endpoint.exception';
import { WebhookEndpointsService } from './webhook-endpoints.service';

const EndpointId = () =>
  Param('id', new ParseUUIDPipe({ exceptionFactory: uuidParamExceptionFactory('id') }));

/** The tenant's webhook endpoints (docs/design/tenant-events.md), their secrets and their deliveries. */
@ApiTags('webhook-endpoints')
@ApiAuthenticated()
@ApiErrors(CommonErrorCode.SERVICE_UNAVAILABLE, CommonErrorCode.INTERNAL_ERROR)
@Controller('webhook-endpoints')
export class WebhookEndpointsController {
  constructor(
    private readonly endpoints: WebhookEndpointsService,
    private readonly deliveries: WebhookDeliveriesService,
  ) {}

  @Post()
  @Idempotent()
  @ApiOperation({
    summary: 'Register an endpoint to receive your events, signed (Standard Webhooks)',
    description:
      'The answer carries the signing secret, shown only now (and in replays of this request). Each delivery is a POST of the event (as `GET /events/{id}` shows it) with the headers `webhook-id` (the event id, the same on every retry), `webhook-timestamp` and `webhook-signature` (one `v1,<base64 HMAC-SHA256 of "id.timestamp.body">` per active secret). Any 2xx within `OUTGOING_WEBHOOK_TIMEOUT_MS` is success; otherwise it is retried (at once, 5 s, 5 min, 30 min, 2 h, 5 h, then every 10 h) until 3 days after the event. Redirects are not followed.',
  })
  @ApiCreatedResponse({
    type: WebhookEndpointWithSecretDto,
    headers: { ...locationHeader('/webhook-endpoints/{id}'), ...IDEMPOTENT_REPLAYED_RESPONSE_HEADER },
  })
  @ApiErrors(
    WebhookEndpointErrorCode.WEBHOOK_URL_INVALID,
    WebhookEndpointErrorCode.WEBHOOK_ENDPOINT_LIMIT_REACHED,
  )
  async create(
    @Body() dto: CreateWebhookEndpointDto,
    @CurrentPrincipal() principal: Principal,
    @Res({ passthrough: true }) response: FastifyReply,
  ): Promise<WebhookEndpointWithSecretDto> {
    const endpoint = await this.endpoints.create(principal.tenantId, dto);
    response.header('Location', `/webhook-endpoints/${endpoint.id}`);
    return WebhookEndpointWithSecretDto.withSecret(endpoint, endpoint.secret);
  }

  @Get()
  @ApiOperation({ summary: 'List your endpoints (without their secrets)' })
  @ApiOkResponse({ type: WebhookEndpointListDto })
  async list(@CurrentPrincipal() principal: Principal): Promise<WebhookEndpointListDto> {
    const endpoints = await this.endpoints.list(principal.tenantId);
    return { data: endpoints.map((endpoint) => WebhookEndpointResponseDto.from(endpoint)) };
  }

  @Get(':id')
  @ApiOperation({ summary: 'Read one of your endpoints (without its secret)' })
  @ApiOkResponse({ type: WebhookEndpointResponseDto })
  @ApiErrors(CommonErrorCode.VALIDATION_FAILED, WebhookEndpointErrorCode.WEBHOOK_ENDPOINT_NOT_FOUND)
  async get(
    @EndpointId() id: string,
    @CurrentPrincipal() principal: Principal,
  ): Promise<WebhookEndpointResponseDto> {
    return WebhookEndpointResponseDto.from(await this.endpoints.get(principal.tenantId, id));
  }

  @Patch(':id')
  @ApiOperation({ summary: 'Change an endpoint: its URL, events, description, or whether it is disabled' })
  @ApiOkResponse({ type: WebhookEndpointResponseDto })
  @ApiErrors(
    CommonErrorCode.VALIDATION_FAILED,
    CommonErrorCode.MALFORMED_JSON,
    WebhookEndpointErrorCode.WEBHOOK_URL_INVALID,
    WebhookEndpointErrorCode.WEBHOOK_ENDPOINT_NOT_FOUND,
  )
  async update(
    @EndpointId() id: string,
    @Body() dto: UpdateWebhookEndpointDto,
    @CurrentPrincipal() principal: Principal,
  ): Promise<WebhookEndpointResponseDto> {
    return WebhookEndpointResponseDto.from(await this.endpoints.update(principal.tenantId, id, dto));
  }

  @Delete(':id')
  @HttpCode(HttpStatus.NO_CONTENT)
  @ApiOperation({ summary: 'Delete an endpoint, and its deliveries' })
  @ApiNoContentResponse({ description: 'Deleted' })
  @ApiErrors(CommonErrorCode.VALIDATION_FAILED, WebhookEndpointErrorCode.WEBHOOK_ENDPOINT_NOT_FOUND)
  async delete(@EndpointId() id: string, @CurrentPrincipal() principal: Principal): Promise<void> {
    await this.endpoints.delete(principal.tenantId, id);
  }

  @Post(':id/rotate-secret')
  @HttpCode(HttpStatus.OK)
  @Idempotent()
  @ApiOperation({
    summary: 'Give an endpoint a new signing secret; the old one keeps signing beside it for 24 h',
    description: 'The new secret is shown only in this answer (and in replays of this request).',
  })
  @ApiOkResponse({ type: RotatedWebhookEndpointDto, headers: IDEMPOTENT_REPLAYED_RESPONSE_HEADER })
  @ApiErrors(WebhookEndpointErrorCode.WEBHOOK_ENDPOINT_NOT_FOUND)
  async rotateSecret(
    @EndpointId() id: string,
    @Body() _body: EmptyBodyDto,
    @CurrentPrincipal() principal: Principal,
  ): Promise<RotatedWebhookEndpointDto> {
    const endpoint = await this.endpoints.rotateSecret(principal.tenantId, id);
    return {
      ...WebhookEndpointWithSecretDto.withSecret(endpoint, endpoint.secret),
      previousSecretExpiresAt: (endpoint.previousSecretExpiresAt ?? new Date()).toISOString(),
    };
  }

  @Post(':id/recover')
  @HttpCode(HttpStatus.ACCEPTED)
  @Idempotent()
  @ApiOperation({
    summary: 'Deliver again every failed delivery to this endpoint of events created since a time',
    description: 'Each starts a new round of attempts, retried on the usual schedule for 3 days.',
  })
  @ApiAcceptedResponse({ type: RedeliveryResponseDto, headers: IDEMPOTENT_REPLAYED_RESPONSE_HEADER })
  @ApiErrors(
    WebhookEndpointErrorCode.WEBHOOK_ENDPOINT_NOT_FOUND,
    WebhookEndpointErrorCode.WEBHOOK_ENDPOINT_DISABLED,
  )
  async recover(
    @EndpointId() id: string,
    @Body() dto: RecoverDeliveriesDto,
    @CurrentPrincipal() principal: Principal,
  ): Promise<RedeliveryResponseDto> {
    return { deliveryIds: await this.deliveries.recover(principal.tenantId, id, new Date(dto.since)) };
  }

  @Get(':id/deliveries')
  @ApiOperation({ summary: 'List the deliveries to an endpoint, newest first, with their attempts' })
  @ApiOkResponse({ type: WebhookDeliveryPageDto })
  @ApiErrors(CommonErrorCode.VALIDATION_FAILED, WebhookEndpointErrorCode.WEBHOOK_ENDPOINT_NOT_FOUND)
  async deliveriesOf(
    @EndpointId() id: string,
    @Query() query: ListDeliveriesQueryDto,
    @CurrentPrincipal() principal: Principal,
  ): Promise<WebhookDeliveryPageDto> {
    if (query.cursor !== undefined && !decodeKeysetCursor(query.cursor)) throw invalidCursor();
    const page = await this.deliveries.list(principal.tenantId, id, {
      status: query.status,
      limit: query.limit ?? DEFAULT_PAGE_SIZE,
      cursor: query.cursor,
    });
    return {
      data: page.data.map((delivery) => WebhookDeliveryResponseDto.from(delivery)),
      nextCursor: page.nextCursor,
    };
  }
}
