import { randomBytes } from 'node:crypto';
import { Webhook } from 'standardwebhooks';

export function newWebhookSecret(): string {
  return `whsec_${randomBytes(32).toString('base64')}`;
}

/**
 * Signed by the `standardwebhooks` package, so its verifiers agree; one signature per active secret.
 * `webhook-id` is the event's id on every attempt, for receivers to deduplicate on.
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
