import type { PathItemObject } from '@nestjs/swagger';

/**
 * What a tenant's endpoint receives, as the document's `webhooks` (OpenAPI 3.1): a POST per event
 * and endpoint, signed as Standard Webhooks specifies, the body being the event as `GET /events/{id}`
 * returns it. A generated client types the body; a receiver verifies the headers with any Standard
 * Webhooks library.
 */
export const TENANT_EVENT_WEBHOOK: PathItemObject = {
  post: {
    operationId: 'receiveTenantEvent',
    tags: ['events'],
    summary: 'An event, delivered to your endpoint',
    description:
      'Sent to every enabled endpoint subscribed to the event’s type, signed with each active secret (two during the 24 h after a rotation). At least once and not ordered: deduplicate on `webhook-id`, order on `sequence` and `previousStatus`. Any 2xx within `OUTGOING_WEBHOOK_TIMEOUT_MS` (10 s) is success; anything else, a redirect included, is retried at once, then after about 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h… until 3 days after the event. At most 64 KiB of the answer is read.',
    security: [],
    parameters: [
      {
        name: 'webhook-id',
        in: 'header',
        required: true,
        description: 'The event’s `id`, the same on every attempt',
        schema: { type: 'string', format: 'uuid' },
      },
      {
        name: 'webhook-timestamp',
        in: 'header',
        required: true,
        description: 'When this attempt was signed, in seconds since the epoch; refuse one too far from now',
        schema: { type: 'string', pattern: '^[0-9]+$' },
      },
      {
        name: 'webhook-signature',
        in: 'header',
        required: true,
        description:
          'Space-separated `v1,<base64 HMAC-SHA256 of "{webhook-id}.{webhook-timestamp}.{body}">`, one per active secret',
        schema: { type: 'string', pattern: '^v1,[A-Za-z0-9+/=]+( v1,[A-Za-z0-9+/=]+)*$' },
      },
    ],
    requestBody: {
      required: true,
      content: { 'application/json': { schema: { $ref: '#/components/schemas/EventResponseDto' } } },
    },
    responses: {
      '2XX': { description: 'Received: no further attempt' },
      '4XX': { description: 'Not received: retried on the schedule' },
      '5XX': { description: 'Not received: retried on the schedule' },
    },
  },
};
