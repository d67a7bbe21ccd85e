import { request as httpRequest, IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { LookupFunction, Socket } from 'node:net';
import { Injectable } from '@nestjs/common';
import { AppConfig } from '../config/app-config';
import { UrlRefusedError, WebhookUrlPolicy } from './webhook-url.policy';

/** At most this much of a receiver's answer is read; the rest is dropped with the connection. */
export const RESPONSE_READ_LIMIT_BYTES = 64 * 1024;

/** Enough of a failed answer's body to say what the receiver said. */
const ERROR_BODY_KEPT = 200;

export interface SendOutcome {
  /** A 2xx within the timeout. */
  ok: boolean;
  statusCode: number | null;
  durationMs: number;
  error: string | null;
}

/**
 * Every resolved address is checked (docs/design/tenant-events.md), and the socket connects to the checked
 * one through `lookup`, so a DNS answer that changes in between (rebinding) is never connected to; the
 * remote address is checked again on connect. Redirects are not followed (a 3xx is a failed attempt), and
 * the exchange is bounded by `OUTGOING_WEBHOOK_TIMEOUT_MS`. Never throws: a failure is the outcome's `error`.
 */
@Injectable()
export class WebhookSender {
  constructor(
    private readonly config: AppConfig,
    private readonly policy: WebhookUrlPolicy,
  ) {}

  async send(url: string, headers: Record<string, string>, body: string): Promise<SendOutcome> {
    const startedAt = performance.now();
    const done = (ok: boolean, statusCode: number | null, error: string | null): SendOutcome => ({
      ok,
      statusCode,
      durationMs: Math.round(performance.now() - startedAt),
      error,
    });
    try {
      const target = this.policy.parse(url);
      // A literal address is never looked up: checked here, and again on connect.
      const addresses = await this.policy.addressesOf(target.hostname);
      const response = await this.post(target, addresses[0], headers, body);
      if (response.statusCode >= 200 && response.statusCode < 300)
        return done(true, response.statusCode, null);
      const location = response.location ? ` (redirect to ${response.location} not followed)` : '';
      const excerpt = response.body.slice(0, ERROR_BODY_KEPT);
      return done(
        false,
        response.statusCode,
        `HTTP ${response.statusCode}${location}${excerpt ? `: ${excerpt}` : ''}`,
      );
    } catch (error) {
      return done(false, null, error instanceof Error ? `${error.name}: ${error.message}` : String(error));
    }
  }

  private post(
    target: URL,
    pinned: { address: string; family: number },
    headers: Record<string, string>,
    body: string,
  ): Promise<{ statusCode: number; location?: string; body: string }> {
    const timeoutMs = this.config.outgoingWebhooks.timeoutMs;
    // The checked address, whatever the socket asks for (`all` is how Node 20 asks by default).
    const lookup: LookupFunction = (_hostname, options, callback) => {
      if ((options as { all?: boolean }).all) {
        (callback as unknown as (error: null, addresses: Array<typeof pinned>) => void)(null, [pinned]);
      } else callback(null, pinned.address, pinned.family);
    };
    const send = target.protocol === 'https:' ? httpsRequest : httpRequest;
    return new Promise((resolve, reject) => {
      const outgoing = send(target, {
        method: 'POST',
        headers: {
          ...headers,
          'content-length': String(Buffer.byteLength(body)),
          'user-agent': 'payment-service-webhooks/1',
        },
        agent: false,
        lookup,
      });
      const chunks: Buffer[] = [];
      let answer: IncomingMessage | undefined;
      let read = 0;
      // Once the status is in, the attempt's outcome is known: a body cut short still has it.
      const settle = (error?: Error) => {
        clearTimeout(timer);
        if (answer) {
          resolve({
            statusCode: answer.statusCode ?? 0,
            location: answer.headers.location,
            body: Buffer.concat(chunks).toString('utf8'),
          });
        } else reject(error ?? new Error('no answer'));
        outgoing.destroy();
      };
      const timer = setTimeout(() => settle(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
      outgoing.on('error', settle);
      outgoing.on('socket', (socket: Socket) =>
        socket.once('connect', () => {
          try {
            this.policy.ensureAddressAllowed(socket.remoteAddress ?? '', target.hostname);
          } catch (error) {
            outgoing.destroy(error as UrlRefusedError);
          }
        }),
      );
      outgoing.on('response', (response: IncomingMessage) => {
        answer = response;
        response.on('data', (chunk: Buffer) => {
          chunks.push(chunk.subarray(0, Math.max(0, RESPONSE_READ_LIMIT_BYTES - read)));
          read += chunk.length;
          if (read >= RESPONSE_READ_LIMIT_BYTES) settle();
        });
        response.on('end', () => settle());
        response.on('error', settle);
      });
      outgoing.end(body);
    });
  }
}
