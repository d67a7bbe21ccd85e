import { randomBytes } from 'node:crypto';
import { Webhook } from 'standardwebhooks';

/** A new signing secret in the Standard Webhooks form: `whsec_` and 32 random bytes in base64. */
export function newWebhookSecret(): string {
  return `whsec_${randomBytes(32).toString('base64')}`;
}

/**
 * The Standard Webhooks headers of one attempt: `webhook-id` (the event's id, the same on every
 * attempt, for receivers to dedupe on), `webhook-timestamp` (this attempt's, in seconds) and
 * `webhook-signature`, one `v1,<base64 HMAC-SHA256 of "id.timestamp.body">` per secret,
 * space-separated, written by the `standardwebhooks` package so any of its verifiers agrees.
 */
export function webhookHeaders(
  secrets: readonly string[],
  eventId: string,
  body: string,
  at: Date = new Date(),
): Record<string, string> {
  // The signed timestamp is whole seconds: sign the instant the header states.
  const timestamp = new Date(Math.floor(at.getTime() / 1000) * 1000);
  return {
    'content-type': 'application/json',
    'webhook-id': eventId,
    'webhook-timestamp': String(timestamp.getTime() / 1000),
    'webhook-signature': secrets
      .map((secret) => new Webhook(secret).sign(eventId, timestamp, body))
      .join(' '),
  };
}
