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
  ApiBody,
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
import { ApiBodyErrors, ApiErrors } from '../common/openapi/api-errors.decorator';
import { locationHeader } from '../common/openapi/response-headers';
import { invalidCursor } from '../common/pagination/invalid-cursor';
import { decodeKeysetCursor } from '../common/pagination/keyset-cursor';
import { DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE } from '../common/pagination/page-query.dto';
import { ApiUuidParam } from '../common/validation/uuid';
import { IDEMPOTENT_REPLAYED_RESPONSE_HEADER, Idempotent } from '../idempotency';
import { CreateWebhookEndpointDto } from './dto/create-webhook-endpoint.dto';
import { EmptyBodyDto } from './dto/empty-body.dto';
import { ListDeliveriesQueryDto } from './dto/list-deliveries-query.dto';
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
const ApiEndpointId = () => ApiUuidParam('id', 'The endpoint’s `id`');

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
    operationId: 'createWebhookEndpoint',
    summary: 'Register an endpoint to receive your events, signed (Standard Webhooks)',
    description:
      'The answer carries the signing secret, shown only now (and in replays of this request). A URL the service may not deliver to is `400 WEBHOOK_URL_INVALID` (`details.fields`); past `WEBHOOK_ENDPOINTS_PER_TENANT` endpoints, `422 WEBHOOK_ENDPOINT_LIMIT_REACHED`. Exactly once per `Idempotency-Key`. Each delivery is a POST of the event (as `GET /events/{id}` shows it) with the headers `webhook-id` (the event id, the same on every retry), `webhook-timestamp` and `webhook-signature` (one `v1,<base64 HMAC-SHA256 of "id.timestamp.body">` per active secret). Any 2xx within `OUTGOING_WEBHOOK_TIMEOUT_MS` is success; otherwise it is retried (at once, 5 s, 5 min, 30 min, 2 h, 5 h, then every 10 h) until 3 days after the event. Redirects are not followed.',
  })
  @ApiCreatedResponse({
    type: WebhookEndpointWithSecretDto,
    description: 'The endpoint, with its signing secret',
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
  @ApiOperation({
    operationId: 'listWebhookEndpoints',
    summary: 'List your endpoints (without their secrets)',
    description: 'Oldest first, enabled and disabled alike. Takes no query parameters.',
  })
  @ApiOkResponse({ type: WebhookEndpointListDto, description: 'Your endpoints' })
  async list(@CurrentPrincipal() principal: Principal): Promise<WebhookEndpointListDto> {
    const endpoints = await this.endpoints.list(principal.tenantId);
    return { data: endpoints.map((endpoint) => WebhookEndpointResponseDto.from(endpoint)) };
  }

  @Get(':id')
  @ApiOperation({
    operationId: 'getWebhookEndpoint',
    summary: 'Read one of your endpoints (without its secret)',
    description: 'Another tenant’s endpoint is the same 404 as a missing one.',
  })
  @ApiEndpointId()
  @ApiOkResponse({ type: WebhookEndpointResponseDto, description: 'The endpoint' })
  @ApiErrors(CommonErrorCode.VALIDATION_FAILED, WebhookEndpointErrorCode.WEBHOOK_ENDPOINT_NOT_FOUND)
  async get(
    @EndpointId() id: string,
    @CurrentPrincipal() principal: Principal,
  ): Promise<WebhookEndpointResponseDto> {
    return WebhookEndpointResponseDto.from(await this.endpoints.get(principal.tenantId, id));
  }

  @Patch(':id')
  @ApiOperation({
    operationId: 'updateWebhookEndpoint',
    summary: 'Change an endpoint: its URL, events, description, or whether it is disabled',
    description:
      'Only the fields sent change; without a body, or `{}`, nothing does. A new URL is checked as on creation (`400 WEBHOOK_URL_INVALID`). Disabling fails the deliveries still pending; `recoverWebhookDeliveries` brings them back once it is enabled again.',
  })
  @ApiEndpointId()
  @ApiBody({ type: UpdateWebhookEndpointDto, required: false })
  @ApiOkResponse({ type: WebhookEndpointResponseDto, description: 'The endpoint as changed' })
  @ApiBodyErrors()
  @ApiErrors(
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
  @ApiOperation({
    operationId: 'deleteWebhookEndpoint',
    summary: 'Delete an endpoint, and its deliveries',
    description:
      'Nothing more is delivered to it, and its deliveries are gone from `listWebhookDeliveries`; the events stay. Takes no body (one sent is still read, and refused if it is not JSON).',
  })
  @ApiEndpointId()
  @ApiNoContentResponse({ description: 'Deleted' })
  @ApiBodyErrors()
  @ApiErrors(WebhookEndpointErrorCode.WEBHOOK_ENDPOINT_NOT_FOUND)
  async delete(@EndpointId() id: string, @CurrentPrincipal() principal: Principal): Promise<void> {
    await this.endpoints.delete(principal.tenantId, id);
  }

  @Post(':id/rotate-secret')
  @HttpCode(HttpStatus.OK)
  @Idempotent()
  @ApiOperation({
    operationId: 'rotateWebhookEndpointSecret',
    summary: 'Give an endpoint a new signing secret; the old one keeps signing beside it for 24 h',
    description:
      'The new secret is shown only in this answer (and in replays of this request); until `previousSecretExpiresAt` each delivery carries a signature by each secret. Takes no fields: send no body, or `{}`. Exactly once per `Idempotency-Key`.',
  })
  @ApiEndpointId()
  @ApiBody({ type: EmptyBodyDto, required: false })
  @ApiOkResponse({
    type: RotatedWebhookEndpointDto,
    description: 'The endpoint, with its new signing secret',
    headers: IDEMPOTENT_REPLAYED_RESPONSE_HEADER,
  })
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
    operationId: 'recoverWebhookDeliveries',
    summary: 'Deliver again every failed delivery to this endpoint of events created since a time',
    description:
      'Each starts a new round of attempts, retried on the usual schedule for 3 days. A disabled endpoint is `409 WEBHOOK_ENDPOINT_DISABLED`: enable it first. Exactly once per `Idempotency-Key`.',
  })
  @ApiEndpointId()
  @ApiAcceptedResponse({
    type: RedeliveryResponseDto,
    description: 'The deliveries started again, none when none had failed',
    headers: IDEMPOTENT_REPLAYED_RESPONSE_HEADER,
  })
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
  @ApiOperation({
    operationId: 'listWebhookDeliveries',
    summary: 'List the deliveries to an endpoint, newest first, with their attempts',
    description: `Each event’s delivery to this endpoint, with its status and its last attempts, filtered by \`status\`. Pages of \`limit\` (1–${MAX_PAGE_SIZE}, ${DEFAULT_PAGE_SIZE} by default); pass \`nextCursor\` as \`cursor\` for the next. A query parameter not listed here is \`400 VALIDATION_FAILED\`.`,
  })
  @ApiEndpointId()
  @ApiOkResponse({ type: WebhookDeliveryPageDto, description: 'A page of deliveries, newest first' })
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
