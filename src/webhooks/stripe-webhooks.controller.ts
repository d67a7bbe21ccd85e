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

  @Post('stripe')
  @HttpCode(HttpStatus.OK)
  @ApiOperation({
    operationId: 'receiveStripeEvent',
    summary: 'Receive a Stripe event',
    description:
      'For Stripe only. Verified against the raw body and every configured secret, stored once, then processed in the background. Sent as `application/json`, as Stripe sends it; any other content type is `415 UNSUPPORTED_MEDIA_TYPE`.',
  })
  @ApiHeader({
    name: 'Stripe-Signature',
    required: true,
    description: 'Stripe’s signature of the raw body: a timestamp and one or more `v1` HMACs',
    schema: {
      type: 'string',
      example: 't=1767225600,v1=5257a869e7ecebeda32affa62cdca3fa51cad7e77a0e56ff536d0ce8e108d8bd',
    },
  })
  @ApiBody({ description: 'The Stripe event, exactly as Stripe signed it', schema: { type: 'object' } })
  @ApiOkResponse({ type: WebhookReceiptDto, description: 'Stored (or already stored: `duplicate`)' })
  @ApiErrors(
    WebhookErrorCode.WEBHOOK_SIGNATURE_INVALID,
    CommonErrorCode.PAYLOAD_TOO_LARGE,
    CommonErrorCode.UNSUPPORTED_MEDIA_TYPE,
    CommonErrorCode.SERVICE_UNAVAILABLE,
  )
  receive(
    @Req() request: RawBodyRequest<FastifyRequest>,
    @Headers('stripe-signature') signature: string | undefined,
  ): Promise<Receipt> {
    return this.inbox.receive(this.verifier.verify(request.rawBody, signature));
  }
}
