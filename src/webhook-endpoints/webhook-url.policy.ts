import { isIP } from 'node:net';
import { Injectable } from '@nestjs/common';
import ipaddr from 'ipaddr.js';
import { AppConfig } from '../config/app-config';
import { HostResolver, ResolvedAddress } from './host-resolver';
import { WebhookEndpointErrorCode, WebhookEndpointException } from './webhook-endpoint.exception';

/** Its message is the client's error, or the attempt's. */
export class UrlRefusedError extends Error {
  override readonly name = 'UrlRefusedError';
}

/**
 * Only ipaddr.js's `unicast`, what no special range claims, is public: not loopback, private, link-local
 * (169.254.169.254, the cloud metadata service), carrier-grade NAT, multicast and the like. An IPv4-mapped
 * IPv6 address is judged as the IPv4 address it maps.
 */
export function isPublicAddress(address: string): boolean {
  if (!ipaddr.isValid(address)) return false;
  return ipaddr.process(address).range() === 'unicast';
}

/**
 * `https` in production, no credentials in the URL, and every address public unless
 * `OUTGOING_WEBHOOKS_ALLOW_PRIVATE_URLS=true` (docs/design/tenant-events.md). Checked when an endpoint is
 * saved, and again at each delivery against the address connected to (see `WebhookSender`).
 */
@Injectable()
export class WebhookUrlPolicy {
  constructor(
    private readonly config: AppConfig,
    private readonly resolver: HostResolver,
  ) {}

  async ensureAllowed(url: string): Promise<void> {
    try {
      const target = this.parse(url);
      if (!this.config.outgoingWebhooks.allowPrivateUrls) await this.addressesOf(target.hostname);
    } catch (error) {
      if (!(error instanceof UrlRefusedError)) throw error;
      throw new WebhookEndpointException(WebhookEndpointErrorCode.WEBHOOK_URL_INVALID, error.message, {
        fields: [{ field: 'url', messages: [error.message] }],
      });
    }
  }

  parse(url: string): URL {
    let target: URL;
    try {
      target = new URL(url);
    } catch {
      throw new UrlRefusedError('url must be an absolute http(s) URL');
    }
    const schemes = this.config.outgoingWebhooks.httpsOnly ? ['https:'] : ['https:', 'http:'];
    if (!schemes.includes(target.protocol)) {
      throw new UrlRefusedError(`url must use ${schemes.map((scheme) => scheme.slice(0, -1)).join(' or ')}`);
    }
    if (target.username || target.password) throw new UrlRefusedError('url must not carry credentials');
    if (!target.hostname) throw new UrlRefusedError('url must name a host');
    return target;
  }

  /** Refuses the host if any of its addresses is not allowed, not only the first. */
  async addressesOf(hostname: string): Promise<ResolvedAddress[]> {
    const literal = hostname.replace(/^\[(.*)\]$/, '$1');
    let addresses: ResolvedAddress[];
    if (isIP(literal)) {
      addresses = [{ address: literal, family: isIP(literal) }];
    } else {
      try {
        addresses = await this.resolver.resolve(hostname);
      } catch {
        throw new UrlRefusedError(`url's host ${hostname} does not resolve`);
      }
      if (addresses.length === 0) throw new UrlRefusedError(`url's host ${hostname} does not resolve`);
    }
    for (const { address } of addresses) this.ensureAddressAllowed(address, hostname);
    return addresses;
  }

  ensureAddressAllowed(address: string, hostname = address): void {
    if (this.config.outgoingWebhooks.allowPrivateUrls || isPublicAddress(address)) return;
    throw new UrlRefusedError(
      `url's host ${hostname} resolves to ${address}, a loopback, private, link-local or otherwise non-public address`,
    );
  }
}
