import { HttpStatus } from '@nestjs/common';
import { moduleException } from '../common/errors/app.exception';

export enum WebhookEndpointErrorCode {
  WEBHOOK_URL_INVALID = 'WEBHOOK_URL_INVALID',
  WEBHOOK_ENDPOINT_NOT_FOUND = 'WEBHOOK_ENDPOINT_NOT_FOUND',
  WEBHOOK_ENDPOINT_LIMIT_REACHED = 'WEBHOOK_ENDPOINT_LIMIT_REACHED',
  WEBHOOK_ENDPOINT_DISABLED = 'WEBHOOK_ENDPOINT_DISABLED',
}

export const WEBHOOK_ENDPOINT_ERROR_STATUS: Record<WebhookEndpointErrorCode, HttpStatus> = {
  [WebhookEndpointErrorCode.WEBHOOK_URL_INVALID]: HttpStatus.BAD_REQUEST,
  [WebhookEndpointErrorCode.WEBHOOK_ENDPOINT_NOT_FOUND]: HttpStatus.NOT_FOUND,
  [WebhookEndpointErrorCode.WEBHOOK_ENDPOINT_LIMIT_REACHED]: HttpStatus.UNPROCESSABLE_ENTITY,
  [WebhookEndpointErrorCode.WEBHOOK_ENDPOINT_DISABLED]: HttpStatus.CONFLICT,
};

export class WebhookEndpointException extends moduleException(WEBHOOK_ENDPOINT_ERROR_STATUS) {}

export function endpointNotFound(): WebhookEndpointException {
  return new WebhookEndpointException(
    WebhookEndpointErrorCode.WEBHOOK_ENDPOINT_NOT_FOUND,
    'Webhook endpoint not found',
  );
}
