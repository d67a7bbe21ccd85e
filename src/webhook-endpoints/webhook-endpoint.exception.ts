import { HttpStatus } from '@nestjs/common';
import { moduleException } from '../common/errors/app.exception';
import { errorDetails, fieldDetail } from '../common/openapi/error-details';

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

export class WebhookEndpointException extends moduleException(
  WEBHOOK_ENDPOINT_ERROR_STATUS,
  {},
  {
    // Shaped like VALIDATION_FAILED's details, so a client reads both alike.
    [WebhookEndpointErrorCode.WEBHOOK_URL_INVALID]: errorDetails(
      {
        fields: {
          type: 'array',
          description: 'The URL, and why it is refused',
          minItems: 1,
          maxItems: 1,
          items: {
            type: 'object',
            properties: {
              field: fieldDetail('url'),
              messages: {
                type: 'array',
                items: { type: 'string' },
                example: ['url must use https'],
              },
            },
            required: ['field', 'messages'],
            additionalProperties: false,
          },
        },
      },
      { required: ['fields'] },
    ),
    [WebhookEndpointErrorCode.WEBHOOK_ENDPOINT_LIMIT_REACHED]: errorDetails(
      {
        limit: {
          type: 'integer',
          minimum: 1,
          description: 'How many endpoints a tenant may have (`WEBHOOK_ENDPOINTS_PER_TENANT`)',
          example: 10,
        },
      },
      { required: ['limit'] },
    ),
  },
) {}

export function endpointNotFound(): WebhookEndpointException {
  return new WebhookEndpointException(
    WebhookEndpointErrorCode.WEBHOOK_ENDPOINT_NOT_FOUND,
    'Webhook endpoint not found',
  );
}
