import type { FaultMatch, FaultSpec, StripeErrorBody } from './stripe-emulator.types';

interface ActiveFault {
  spec: FaultSpec;
  remaining: number;
}

type FaultKind = FaultSpec['kind'];
type FaultOf<K extends FaultKind> = Extract<FaultSpec, { kind: K }>;

const ERROR_TYPES: readonly StripeErrorBody['type'][] = [
  'api_error',
  'card_error',
  'idempotency_error',
  'invalid_request_error',
  'authentication_error',
];

function defaultTimes(spec: FaultSpec): number {
  return spec.kind === 'latency' ? Number.POSITIVE_INFINITY : 1;
}

/** A fault filter's rule: the method if given (any case), and the path by prefix if given. */
export function matchesCall(match: FaultMatch, method: string, path: string): boolean {
  return (
    (match.method === undefined || match.method.toUpperCase() === method) &&
    (match.path === undefined || path.startsWith(match.path))
  );
}

/** Faults armed for the next matching API calls; each one wears out after `times` uses. */
export class FaultInjector {
  private active: ActiveFault[] = [];

  add(spec: FaultSpec): void {
    const remaining = spec.times ?? defaultTimes(spec);
    if (!(remaining >= 1)) throw new Error('times must be at least 1');
    if (
      spec.kind === 'fail' &&
      !(Number.isInteger(spec.status) && spec.status >= 400 && spec.status <= 599)
    ) {
      throw new Error('status must be an HTTP error status (400-599)');
    }
    if (spec.kind === 'latency' && !(spec.ms >= 0)) throw new Error('ms must be zero or more');
    this.active.push({ spec: { ...spec }, remaining });
  }

  clear(): void {
    this.active = [];
  }

  list(): FaultSpec[] {
    return this.active.map(({ spec, remaining }) =>
      Number.isFinite(remaining) ? { ...spec, times: remaining } : { ...spec },
    );
  }

  takeFailure(method: string, path: string): FaultOf<'fail'> | undefined {
    return this.take('fail', method, path)[0];
  }

  /** Every matching latency fault applies, so their delays add up. */
  takeLatencyMs(method: string, path: string): number {
    return this.take('latency', method, path, true).reduce((total, fault) => total + fault.ms, 0);
  }

  takeDrop(method: string, path: string): boolean {
    return this.take('drop', method, path).length > 0;
  }

  private take<K extends FaultKind>(kind: K, method: string, path: string, all = false): FaultOf<K>[] {
    const taken: FaultOf<K>[] = [];
    for (const fault of this.active) {
      if (!isKind(fault.spec, kind) || !matchesCall(fault.spec, method, path)) continue;
      fault.remaining -= 1;
      taken.push(fault.spec);
      if (!all) break;
    }
    this.active = this.active.filter((fault) => fault.remaining > 0);
    return taken;
  }
}

function isKind<K extends FaultKind>(spec: FaultSpec, kind: K): spec is FaultOf<K> {
  return spec.kind === kind;
}

// ---- Parsing fault specs that arrive as JSON through the control API ----------------------------

function field(source: Record<string, unknown>, name: string, type: 'string' | 'number'): unknown {
  const value = source[name];
  if (value !== undefined && typeof value !== type) throw new Error(`${name} must be a ${type}`);
  return value;
}

function optionalString(source: Record<string, unknown>, name: string): string | undefined {
  const value = field(source, name, 'string');
  return typeof value === 'string' ? value : undefined;
}

function optionalNumber(source: Record<string, unknown>, name: string): number | undefined {
  const value = field(source, name, 'number');
  return typeof value === 'number' ? value : undefined;
}

function requiredNumber(source: Record<string, unknown>, name: string): number {
  const value = optionalNumber(source, name);
  if (value === undefined) throw new Error(`${name} is required`);
  return value;
}

function errorType(source: Record<string, unknown>): StripeErrorBody['type'] | undefined {
  const value = optionalString(source, 'type');
  if (value === undefined) return undefined;
  const type = ERROR_TYPES.find((candidate) => candidate === value);
  if (!type) throw new Error(`type must be one of ${ERROR_TYPES.join(', ')}`);
  return type;
}

export function parseFaultSpec(value: unknown): FaultSpec {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new Error('a fault must be a JSON object');
  }
  const source = value as Record<string, unknown>;
  const common = {
    method: optionalString(source, 'method'),
    path: optionalString(source, 'path'),
    times: optionalNumber(source, 'times'),
  };
  const kind = source.kind;
  switch (kind) {
    case 'fail':
      return {
        kind,
        ...common,
        status: requiredNumber(source, 'status'),
        type: errorType(source),
        code: optionalString(source, 'code'),
        message: optionalString(source, 'message'),
      };
    case 'latency':
      return { kind, ...common, ms: requiredNumber(source, 'ms') };
    case 'drop':
      return { kind, ...common };
    default:
      throw new Error("kind must be one of 'fail', 'latency', 'drop'");
  }
}
