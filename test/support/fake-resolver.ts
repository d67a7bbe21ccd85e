import type { ResolvedAddress } from '../../src/webhook-endpoints/host-resolver';

/**
 * Stands in for DNS: answers the addresses a test gives each name, and fails like an unknown
 * name otherwise. Tests use names under `.invalid`, which real DNS never resolves, so nothing
 * can reach a real host even if this were bypassed.
 */
export class FakeResolver {
  private readonly answers = new Map<string, ResolvedAddress[]>();
  readonly asked: string[] = [];

  /** From now on, `hostname` resolves to `addresses`. */
  set(hostname: string, ...addresses: string[]): void {
    this.answers.set(
      hostname,
      addresses.map((address) => ({ address, family: address.includes(':') ? 6 : 4 })),
    );
  }

  resolve(hostname: string): Promise<ResolvedAddress[]> {
    this.asked.push(hostname);
    const answer = this.answers.get(hostname);
    if (!answer)
      return Promise.reject(
        Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), { code: 'ENOTFOUND' }),
      );
    return Promise.resolve(answer);
  }
}
