import { Controller, Get, HttpCode, HttpStatus, Param, Post, Query } from '@nestjs/common';
import { ApiAcceptedResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { AdminOnly, AuthErrorCode } from '../auth';
import { CommonErrorCode, CommonException } from '../common/errors/common.exception';
import { ApiBodyErrors, ApiErrors } from '../common/openapi/api-errors.decorator';
import { DEFAULT_PAGE_SIZE, ListWebhooksQueryDto } from './dto/list-webhooks-query.dto';
import {
  WebhookEventPageDto,
  WebhookEventResponseDto,
  WebhookReplayResponseDto,
} from './dto/webhook-event-response.dto';
import { WebhookErrorCode, WebhookException } from './webhook.exception';
import { decodeCursor, WebhookInboxService } from './webhook-inbox.service';

const OPERATOR_ONLY =
  'For the platform operator (a token with the `admin` role), not for tenants: the inbox holds every tenant’s Stripe events.';

/** Operator routes: one Stripe account serves every tenant, so the inbox holds all tenants' events. */
@ApiTags('admin')
@ApiErrors(
  AuthErrorCode.TOKEN_MISSING,
  AuthErrorCode.TOKEN_INVALID,
  AuthErrorCode.TOKEN_EXPIRED,
  AuthErrorCode.ADMIN_ROLE_REQUIRED,
  CommonErrorCode.SERVICE_UNAVAILABLE,
  CommonErrorCode.INTERNAL_ERROR,
)
// Decorators apply bottom-up: this runs before @ApiErrors, so the documented 403 is the error body alone.
@AdminOnly()
@Controller('admin/webhooks')
export class AdminWebhooksController {
  constructor(private readonly inbox: WebhookInboxService) {}

  @Get()
  @ApiOperation({
    operationId: 'listWebhookEvents',
    summary: 'List received Stripe events, newest first (the dead-letter queue: status=dead)',
    description: `${OPERATOR_ONLY} Each event shows its status, its attempts and the error of each failed attempt. A query parameter not listed here is \`400 VALIDATION_FAILED\`.`,
  })
  @ApiOkResponse({ type: WebhookEventPageDto })
  @ApiErrors(CommonErrorCode.VALIDATION_FAILED)
  async list(@Query() query: ListWebhooksQueryDto): Promise<WebhookEventPageDto> {
    if (query.cursor !== undefined && !decodeCursor(query.cursor)) {
      throw invalidCursor();
    }
    const page = await this.inbox.list({
      status: query.status,
      type: query.type,
      limit: query.limit ?? DEFAULT_PAGE_SIZE,
      cursor: query.cursor,
    });
    return { items: page.items.map((row) => WebhookEventResponseDto.from(row)), nextCursor: page.nextCursor };
  }

  @Post(':eventId/replay')
  @HttpCode(HttpStatus.ACCEPTED)
  @ApiOperation({
    operationId: 'replayWebhookEvent',
    summary: 'Process one event again; effects already applied are not applied twice',
    description: OPERATOR_ONLY,
  })
  @ApiAcceptedResponse({ type: WebhookReplayResponseDto })
  @ApiErrors(WebhookErrorCode.WEBHOOK_EVENT_NOT_FOUND)
  @ApiBodyErrors()
  async replay(@Param('eventId') eventId: string): Promise<WebhookReplayResponseDto> {
    if ((await this.inbox.replay(eventId)) === 'not_found') {
      throw new WebhookException(WebhookErrorCode.WEBHOOK_EVENT_NOT_FOUND, 'No such event in the inbox');
    }
    return { eventId, status: 'queued' };
  }
}

function invalidCursor(): CommonException {
  return new CommonException(CommonErrorCode.VALIDATION_FAILED, 'cursor is not one this route returned', {
    fields: [{ field: 'cursor', messages: ['cursor must be a nextCursor this route returned'] }],
  });
}
