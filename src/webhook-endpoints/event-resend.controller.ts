import { Body, Controller, HttpCode, HttpStatus, Param, ParseUUIDPipe, Post } from '@nestjs/common';
import { ApiAcceptedResponse, ApiBody, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ApiAuthenticated, CurrentPrincipal, Principal } from '../auth';
import { CommonErrorCode } from '../common/errors/common.exception';
import { uuidParamExceptionFactory } from '../common/errors/validation-exception.factory';
import { ApiErrors } from '../common/openapi/api-errors.decorator';
import { ApiUuidParam } from '../common/validation/uuid';
import { EventErrorCode } from '../events';
import { IDEMPOTENT_REPLAYED_RESPONSE_HEADER, Idempotent } from '../idempotency';
import { RedeliveryResponseDto, ResendEventDto } from './dto/redeliver.dto';
import { WebhookDeliveriesService } from './webhook-deliveries.service';
import { WebhookEndpointErrorCode } from './webhook-endpoint.exception';

/** Under `/events`, but here because resending is the deliveries' business. */
@ApiTags('events')
@ApiAuthenticated()
@ApiErrors(CommonErrorCode.INTERNAL_ERROR)
@Controller('events')
export class EventResendController {
  constructor(private readonly deliveries: WebhookDeliveriesService) {}

  @Post(':id/resend')
  @HttpCode(HttpStatus.ACCEPTED)
  @Idempotent()
  @ApiOperation({
    operationId: 'resendEvent',
    summary: 'Deliver one of your events again now',
    description:
      'To `endpointId`, or (without a body, or `{}`) to every enabled endpoint subscribed to its type. Each delivery starts a new round of attempts, retried on the usual schedule for 3 days; the `webhook-id` is the event’s id, as before. A disabled `endpointId` is `409 WEBHOOK_ENDPOINT_DISABLED`. Exactly once per `Idempotency-Key`.',
  })
  @ApiUuidParam('id', 'The event’s `id`')
  @ApiBody({ type: ResendEventDto, required: false })
  @ApiAcceptedResponse({
    type: RedeliveryResponseDto,
    description: 'The deliveries started, none when no endpoint takes the event',
    headers: IDEMPOTENT_REPLAYED_RESPONSE_HEADER,
  })
  @ApiErrors(
    EventErrorCode.EVENT_NOT_FOUND,
    WebhookEndpointErrorCode.WEBHOOK_ENDPOINT_NOT_FOUND,
    WebhookEndpointErrorCode.WEBHOOK_ENDPOINT_DISABLED,
  )
  async resend(
    @Param('id', new ParseUUIDPipe({ exceptionFactory: uuidParamExceptionFactory('id') })) id: string,
    @Body() dto: ResendEventDto,
    @CurrentPrincipal() principal: Principal,
  ): Promise<RedeliveryResponseDto> {
    return { deliveryIds: await this.deliveries.resend(principal.tenantId, id, dto.endpointId) };
  }
}
