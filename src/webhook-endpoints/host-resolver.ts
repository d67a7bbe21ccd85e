import { lookup } from 'node:dns/promises';
import { Injectable } from '@nestjs/common';

export interface ResolvedAddress {
  address: string;
  /** 4 or 6. */
  family: number;
}

/**
 * Every address a host name resolves to, as the operating system's resolver answers
 * (`getaddrinfo`: the hosts file, then DNS). A provider of its own so tests can stand a
 * resolver of theirs in for DNS.
 */
@Injectable()
export class HostResolver {
  async resolve(hostname: string): Promise<ResolvedAddress[]> {
    return lookup(hostname, { all: true, verbatim: true });
  }
}
