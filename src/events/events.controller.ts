import { Controller, Get, Param, ParseUUIDPipe, Query } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ApiAuthenticated, CurrentPrincipal, Principal } from '../auth';
import { CommonErrorCode } from '../common/errors/common.exception';
import { uuidParamExceptionFactory } from '../common/errors/validation-exception.factory';
import { ApiErrors } from '../common/openapi/api-errors.decorator';
import { invalidCursor } from '../common/pagination/invalid-cursor';
import { decodeKeysetCursor } from '../common/pagination/keyset-cursor';
import { createdRangeOf, DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE } from '../common/pagination/page-query.dto';
import { ApiUuidParam } from '../common/validation/uuid';
import { ListEventsQueryDto } from './dto/list-events-query.dto';
import { EventPageDto, EventResponseDto } from './dto/event-response.dto';
import { EventErrorCode } from './event.exception';
import { EventsService } from './events.service';

/** The tenant's events (docs/design/tenant-events.md): what happened to its payments, refunds and endpoints. */
@ApiTags('events')
@ApiAuthenticated()
@ApiErrors(CommonErrorCode.SERVICE_UNAVAILABLE, CommonErrorCode.INTERNAL_ERROR)
@Controller('events')
export class EventsController {
  constructor(private readonly events: EventsService) {}

  @Get()
  @ApiOperation({
    operationId: 'listEvents',
    summary: 'List your events, newest first',
    description: `What happened to your payments, refunds and webhook endpoints, kept \`EVENT_RETENTION_DAYS\` (90 by default); each is the body its webhooks deliver. Filter by \`type\`, \`paymentId\` (its refunds’ events included) and creation time. Pages of \`limit\` (1–${MAX_PAGE_SIZE}, ${DEFAULT_PAGE_SIZE} by default); pass \`nextCursor\` as \`cursor\` for the next. A query parameter not listed here is \`400 VALIDATION_FAILED\`.`,
  })
  @ApiOkResponse({ type: EventPageDto, description: 'A page of your events, newest first' })
  @ApiErrors(CommonErrorCode.VALIDATION_FAILED)
  async list(
    @Query() query: ListEventsQueryDto,
    @CurrentPrincipal() principal: Principal,
  ): Promise<EventPageDto> {
    if (query.cursor !== undefined && !decodeKeysetCursor(query.cursor)) throw invalidCursor();
    const page = await this.events.list({
      tenantId: principal.tenantId,
      type: query.type,
      paymentId: query.paymentId,
      ...createdRangeOf(query),
      limit: query.limit ?? DEFAULT_PAGE_SIZE,
      cursor: query.cursor,
    });
    return { data: page.data.map((event) => EventResponseDto.from(event)), nextCursor: page.nextCursor };
  }

  @Get(':id')
  @ApiOperation({
    operationId: 'getEvent',
    summary: 'Read one of your events',
    description:
      'The event exactly as its webhooks deliver it. Another tenant’s event, or one past `EVENT_RETENTION_DAYS`, is the same 404 as a missing one.',
  })
  @ApiUuidParam('id', 'The event’s `id` (the `webhook-id` of its deliveries)')
  @ApiOkResponse({ type: EventResponseDto, description: 'The event' })
  @ApiErrors(CommonErrorCode.VALIDATION_FAILED, EventErrorCode.EVENT_NOT_FOUND)
  async get(
    @Param('id', new ParseUUIDPipe({ exceptionFactory: uuidParamExceptionFactory('id') })) id: string,
    @CurrentPrincipal() principal: Principal,
  ): Promise<EventResponseDto> {
    return EventResponseDto.from(await this.events.get(principal.tenantId, id));
  }
}
