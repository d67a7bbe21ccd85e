import { Injectable } from '@nestjs/common';
import Stripe from 'stripe';
import { unsafeTextProblem } from '../common/validation/safe-text.decorator';
import { AppConfig } from '../config/app-config';
import { WebhookErrorCode, WebhookException } from './webhook.exception';

export interface VerifiedEvent {
  id: string;
  type: string;
  payload: Record<string, unknown>;
  /** The body as text, decoded as the SDK decoded it to check the signature; this is what is stored. */
  raw: string;
}

const UTF8 = new TextDecoder('utf8');

/**
 * Tries every configured secret, so secrets can be rotated. The SDK refuses only stale timestamps; future
 * ones are refused here so a leaked signature cannot be pre-dated.
 */
@Injectable()
export class WebhookSignatureVerifier {
  constructor(private readonly config: AppConfig) {}

  verify(
    rawBody: Buffer | undefined,
    header: string | string[] | undefined,
    nowSeconds = Math.floor(Date.now() / 1000),
  ): VerifiedEvent {
    if (!rawBody || typeof header !== 'string' || header === '') throw invalid('Missing Stripe-Signature');
    const timestamp = signedTimestamp(header);
    const tolerance = this.config.webhooks.toleranceSeconds;
    let event: Stripe.Event | undefined;
    for (const secret of this.config.stripe.webhookSecrets) {
      try {
        event = Stripe.webhooks.constructEvent(rawBody, header, secret, tolerance);
        break;
      } catch {
        // Try the next secret; the error does not say which ones failed.
      }
    }
    if (!event) throw invalid('Stripe-Signature does not match');
    if (!Number.isFinite(timestamp) || timestamp - nowSeconds > tolerance) {
      throw invalid('Stripe-Signature timestamp is outside the tolerance');
    }
    // Stripe's ids and types are short plain text; anything else is not a Stripe event.
    if (!isInboxText(event.id) || !isInboxText(event.type)) throw invalid('Not a Stripe event');
    return {
      id: event.id,
      type: event.type,
      payload: event as unknown as Record<string, unknown>,
      raw: UTF8.decode(rawBody),
    };
  }
}

/** Read as the SDK reads it (stripe 23), which verifies the last `t=`; Stripe sends only one. */
function signedTimestamp(header: string): number {
  const values = header
    .split(',')
    .map((item) => item.split('='))
    .filter(([key]) => key === 't')
    .map(([, value]) => parseInt(value, 10));
  if (values.length > 1) throw invalid('Stripe-Signature carries more than one timestamp');
  // None, or none the SDK can read: constructEvent has already refused the header.
  return values[0] ?? NaN;
}

/** `webhook_inbox.event_id` and `.type` are varchar(255). */
const INBOX_TEXT_MAX = 255;

function isInboxText(value: unknown): value is string {
  return (
    typeof value === 'string' &&
    value.length > 0 &&
    value.length <= INBOX_TEXT_MAX &&
    unsafeTextProblem(value) === undefined
  );
}

function invalid(message: string): WebhookException {
  return new WebhookException(WebhookErrorCode.WEBHOOK_SIGNATURE_INVALID, message);
}
