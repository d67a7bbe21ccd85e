import { HttpStatus } from '@nestjs/common';
import { moduleException } from '../common/errors/app.exception';

export enum WebhookErrorCode {
  WEBHOOK_SIGNATURE_INVALID = 'WEBHOOK_SIGNATURE_INVALID',
  WEBHOOK_EVENT_NOT_FOUND = 'WEBHOOK_EVENT_NOT_FOUND',
}

export const WEBHOOK_ERROR_STATUS: Record<WebhookErrorCode, HttpStatus> = {
  [WebhookErrorCode.WEBHOOK_SIGNATURE_INVALID]: HttpStatus.BAD_REQUEST,
  [WebhookErrorCode.WEBHOOK_EVENT_NOT_FOUND]: HttpStatus.NOT_FOUND,
};

export class WebhookException extends moduleException(WEBHOOK_ERROR_STATUS) {}
