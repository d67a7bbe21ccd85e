import { Injectable } from '@nestjs/common';
import Stripe from 'stripe';
import { unsafeTextProblem } from '../common/validation/safe-text.decorator';
import { AppConfig } from '../config/app-config';
import { WebhookErrorCode, WebhookException } from './webhook.exception';

/** What the inbox needs of a verified event. */
export interface VerifiedEvent {
  id: string;
  type: string;
  payload: Record<string, unknown>;
  /** The body as text, decoded as the SDK decoded it to check the signature: what is stored. */
  raw: string;
}

const UTF8 = new TextDecoder('utf8');

/**
 * Checks `Stripe-Signature` against the exact bytes received, with the SDK's own helper, for
 * every configured secret (rotation: any may match). The SDK only refuses timestamps too old;
 * one too far in the future is refused here, so a leaked signature cannot be pre-dated. Time is
 * counted in whole seconds, as the SDK counts it.
 *
 * The timestamp checked here must be the one the SDK signed with, or a future signature could
 * pass behind a current `t=`: the SDK keeps the last of several. Stripe sends one, so a header
 * with more is refused outright rather than read either way.
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
        // Try the next secret; the answer names no secret either way.
      }
    }
    if (!event) throw invalid('Stripe-Signature does not match');
    if (!Number.isFinite(timestamp) || timestamp - nowSeconds > tolerance) {
      throw invalid('Stripe-Signature timestamp is outside the tolerance');
    }
    // The inbox keys events by id and files them by type, each at most 255 characters of text
    // PostgreSQL stores as sent; Stripe's are short and plain, so anything else signed with our
    // secret is not one of its events. (A payload PostgreSQL cannot store is kept raw instead.)
    if (!isInboxText(event.id) || !isInboxText(event.type)) throw invalid('Not a Stripe event');
    return {
      id: event.id,
      type: event.type,
      payload: event as unknown as Record<string, unknown>,
      raw: UTF8.decode(rawBody),
    };
  }
}

/**
 * The header's timestamp read as the SDK reads it (stripe 23, `parseHeader` in Webhooks.js): the
 * items between commas whose key is exactly `t`, the value through `parseInt`. More than one is
 * refused: the SDK would sign with the last, and nothing but a forgery sends two.
 */
function signedTimestamp(header: string): number {
  const values = header
    .split(',')
    .map((item) => item.split('='))
    .filter(([key]) => key === 't')
    .map(([, value]) => parseInt(value, 10));
  if (values.length > 1) throw invalid('Stripe-Signature carries more than one timestamp');
  // None, or none the SDK can read: constructEvent refuses it before the timestamp matters.
  return values[0] ?? NaN;
}

/** Fits `webhook_inbox.event_id` and `.type` (varchar(255)). */
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
