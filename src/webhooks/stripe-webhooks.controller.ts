import { Controller, Headers, HttpCode, HttpStatus, Post, Req } from '@nestjs/common';
import { ApiBody, ApiHeader, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { RawBodyRequest } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { Public } from '../auth';
import { CommonErrorCode } from '../common/errors/common.exception';
import { ApiErrors } from '../common/openapi/api-errors.decorator';
import { WebhookReceiptDto } from './dto/webhook-event-response.dto';
import { WebhookErrorCode } from './webhook.exception';
import { Receipt, WebhookInboxService } from './webhook-inbox.service';
import { WebhookSignatureVerifier } from './webhook-signature.verifier';

@ApiTags('webhooks')
@ApiErrors(CommonErrorCode.INTERNAL_ERROR)
@Public()
@Controller('webhooks')
export class StripeWebhooksController {
  constructor(
    private readonly verifier: WebhookSignatureVerifier,
    private readonly inbox: WebhookInboxService,
  ) {}

  /** Verify, store, answer (enqueued after): the event's work never runs inside the request. */
  @Post('stripe')
  @HttpCode(HttpStatus.OK)
  @ApiOperation({
    summary: 'Receive a Stripe event',
    description:
      'Verified against the raw body and every configured secret, stored once, then processed in the background.',
  })
  @ApiHeader({ name: 'Stripe-Signature', required: true })
  @ApiBody({ description: 'The Stripe event, exactly as Stripe signed it', schema: { type: 'object' } })
  @ApiOkResponse({ type: WebhookReceiptDto, description: 'Stored (or already stored: `duplicate`)' })
  @ApiErrors(
    WebhookErrorCode.WEBHOOK_SIGNATURE_INVALID,
    CommonErrorCode.PAYLOAD_TOO_LARGE,
    CommonErrorCode.SERVICE_UNAVAILABLE,
  )
  receive(
    @Req() request: RawBodyRequest<FastifyRequest>,
    @Headers('stripe-signature') signature: string | undefined,
  ): Promise<Receipt> {
    return this.inbox.receive(this.verifier.verify(request.rawBody, signature));
  }
}
