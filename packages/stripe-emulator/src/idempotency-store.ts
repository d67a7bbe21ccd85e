import { idempotencyKeyInUse, idempotencyMismatch, type StripeApiError } from './stripe-api-error';

export interface StoredResponse {
  status: number;
  body: string;
  requestId: string;
}

/** What the request was, so a reuse of its key can be told apart from a retry. */
export interface IdempotentRequest {
  scope: string;
  key: string;
  endpoint: string;
  fingerprint: string;
}

/** Expired keys are otherwise only forgotten when reused; sweep now and then so memory stays bounded. */
const SWEEP_EVERY_CLAIMS = 1000;

interface Entry {
  endpoint: string;
  fingerprint: string;
  response: StoredResponse | null;
  expiresAt: number;
}

export type Claim =
  | { kind: 'claimed'; complete(response: StoredResponse): void; release(): void }
  | { kind: 'replay'; response: StoredResponse }
  | { kind: 'conflict'; error: StripeApiError };

/** Deterministic JSON: object keys sorted, so parameter order never makes two requests differ. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([key, item]) => `${JSON.stringify(key)}:${canonicalJson(item)}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

/**
 * Stripe's idempotency semantics, keyed by (API key, Idempotency-Key): the first request claims the key,
 * its stored result is replayed to later identical requests, and a different request under the same key
 * is refused whether the first one finished or is still running.
 */
export class IdempotencyStore {
  private readonly entries = new Map<string, Entry>();
  private claims = 0;

  constructor(private readonly ttlMs: number) {}

  claim(request: IdempotentRequest): Claim {
    this.claims += 1;
    if (this.claims % SWEEP_EVERY_CLAIMS === 0) this.sweepExpired();
    const id = `${request.scope}\u0000${request.key}`;
    const existing = this.live(id);
    if (!existing) return this.take(id, request);
    if (existing.endpoint !== request.endpoint) {
      const detail = `for the same endpoint they were first used for ('${existing.endpoint}' vs '${request.endpoint}')`;
      return { kind: 'conflict', error: idempotencyMismatch(request.key, detail) };
    }
    if (existing.fingerprint !== request.fingerprint) {
      return {
        kind: 'conflict',
        error: idempotencyMismatch(request.key, 'with the same parameters they were first used with'),
      };
    }
    if (existing.response === null) return { kind: 'conflict', error: idempotencyKeyInUse(request.key) };
    return { kind: 'replay', response: existing.response };
  }

  clear(): void {
    this.entries.clear();
  }

  /** Drops every stored result; keys whose request is still running stay claimed. */
  forgetCompleted(): number {
    let forgotten = 0;
    for (const [id, entry] of this.entries) {
      if (entry.response !== null) {
        this.entries.delete(id);
        forgotten += 1;
      }
    }
    return forgotten;
  }

  private take(id: string, request: IdempotentRequest): Claim {
    const entry: Entry = {
      endpoint: request.endpoint,
      fingerprint: request.fingerprint,
      response: null,
      expiresAt: Number.POSITIVE_INFINITY,
    };
    this.entries.set(id, entry);
    return {
      kind: 'claimed',
      complete: (response) => {
        entry.response = response;
        entry.expiresAt = Date.now() + this.ttlMs;
      },
      release: () => {
        if (this.entries.get(id) === entry) this.entries.delete(id);
      },
    };
  }

  private sweepExpired(): void {
    const now = Date.now();
    for (const [id, entry] of this.entries) if (entry.expiresAt <= now) this.entries.delete(id);
  }

  private live(id: string): Entry | undefined {
    const entry = this.entries.get(id);
    if (entry && entry.expiresAt <= Date.now()) {
      this.entries.delete(id);
      return undefined;
    }
    return entry;
  }
}
