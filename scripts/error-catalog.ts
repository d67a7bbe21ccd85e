import { writeFileSync } from 'node:fs';
import { STATUS_CODES } from 'node:http';
import { resolve } from 'node:path';
import { AUTH_ERROR_STATUS } from '../src/auth/auth.exception';
import { COMMON_ERROR_STATUS } from '../src/common/errors/common.exception';
import { CUSTOMER_ERROR_STATUS } from '../src/customers/customer.exception';
import { IDEMPOTENCY_ERROR_STATUS } from '../src/idempotency/idempotency.exception';
import { PAYMENT_ERROR_STATUS } from '../src/payments/payment.exception';
import { REFUND_ERROR_STATUS } from '../src/refunds/refund.exception';
import { STRIPE_ERROR_STATUS } from '../src/stripe/stripe.exception';
import { WEBHOOK_ERROR_STATUS } from '../src/webhooks/webhook.exception';
import { EVENT_ERROR_STATUS } from '../src/events/event.exception';
import { WEBHOOK_ENDPOINT_ERROR_STATUS } from '../src/webhook-endpoints/webhook-endpoint.exception';

/**
 * `npm run docs:errors` writes docs/errors.md: every error code the service answers with, its
 * status and what it means. Codes and statuses come from the modules' own maps, the ones their
 * exceptions are built from, so the status documented is the one sent; the meanings live below,
 * one per code. test/docs.e2e-spec.ts fails when the file differs from what this would write.
 */
export const ERROR_CATALOG_PATH = 'docs/errors.md';

/** One module's code → status map and the file that declares it (the catalog links it). */
export interface ErrorCodeSource {
  readonly file: string;
  readonly statuses: Readonly<Record<string, number>>;
}

const SOURCES = [
  { file: 'src/common/errors/common.exception.ts', statuses: COMMON_ERROR_STATUS },
  { file: 'src/auth/auth.exception.ts', statuses: AUTH_ERROR_STATUS },
  { file: 'src/customers/customer.exception.ts', statuses: CUSTOMER_ERROR_STATUS },
  { file: 'src/idempotency/idempotency.exception.ts', statuses: IDEMPOTENCY_ERROR_STATUS },
  { file: 'src/payments/payment.exception.ts', statuses: PAYMENT_ERROR_STATUS },
  { file: 'src/refunds/refund.exception.ts', statuses: REFUND_ERROR_STATUS },
  { file: 'src/stripe/stripe.exception.ts', statuses: STRIPE_ERROR_STATUS },
  { file: 'src/webhooks/webhook.exception.ts', statuses: WEBHOOK_ERROR_STATUS },
  { file: 'src/events/event.exception.ts', statuses: EVENT_ERROR_STATUS },
  { file: 'src/webhook-endpoints/webhook-endpoint.exception.ts', statuses: WEBHOOK_ENDPOINT_ERROR_STATUS },
] as const satisfies readonly ErrorCodeSource[];

export const ERROR_CODE_SOURCES: readonly ErrorCodeSource[] = SOURCES;

/** The codes of every module's map: each map's keys, not only those they share. */
type KeysOfEach<T> = T extends unknown ? keyof T : never;
type ErrorCode = KeysOfEach<(typeof SOURCES)[number]['statuses']>;

/**
 * What each code tells a client, in one line. Typed by the codes, so `tsc` refuses a missing or
 * unknown one; `npm run docs:errors` runs without type checks and refuses them itself.
 */
export const ERROR_MEANINGS: Readonly<Record<ErrorCode, string>> = {
  // Requests and the framework (src/common/errors)
  VALIDATION_FAILED:
    'A body field, query parameter or path id is invalid or unknown, an explicit `null`, text PostgreSQL cannot store, or a body nested deeper than 16 levels; `details.fields` names each one.',
  MALFORMED_JSON: 'The body is not JSON, or its top level is neither an object nor an array.',
  PAYLOAD_TOO_LARGE:
    "The body is over 100 kB (1 MB on `POST /webhooks/stripe`), or a chunk's extensions are over Node's limit.",
  UNSUPPORTED_MEDIA_TYPE:
    'The body has no content type or one nothing reads (XML, say), a charset other than UTF-8, or a `Content-Encoding` other than `identity`; a Stripe event sent as anything but `application/json`.',
  ROUTE_NOT_FOUND:
    'No such route. A `WORKER_MODE=worker` process answers it for every path but `/health*` and `/metrics`.',
  NOT_FOUND: 'Declared for a 404 that is not a missing route; nothing answers it today.',
  FORBIDDEN: "A 403 raised by the framework or a library rather than the service's own code.",
  CONFLICT: "A 409 raised by the framework or a library rather than the service's own code.",
  TOO_MANY_REQUESTS:
    'A 429 raised by the framework or a library; the per-tenant limits answer `RATE_LIMITED` instead.',
  RATE_LIMITED:
    'The tenant spent its budget for this route family and window; `Retry-After` says when the window ends. Not stored: the same key works once it has.',
  BAD_REQUEST: "Any other 400 raised by the framework rather than the service's own code.",
  MALFORMED_REQUEST:
    "Node's HTTP parser refused the request itself (request line, header, chunk); answered on the socket, which is closed.",
  REQUEST_TIMEOUT: 'The request was not received within 300 s; the connection is closed.',
  HEADERS_TOO_LARGE: "The request headers are over Node's limit (16 KiB).",
  INTERNAL_ERROR:
    'Anything unexpected. Logged by type, code and message, never with a stack or SQL; the idempotency key is released.',
  SERVICE_UNAVAILABLE:
    'PostgreSQL is unreachable, too slow or shutting down, or a readiness check failed (`details` names it); `Retry-After: 5`.',
  // Authentication (src/auth)
  AUTH_TOKEN_MISSING: 'No `Authorization: Bearer …` header; the answer carries `WWW-Authenticate: Bearer`.',
  AUTH_TOKEN_INVALID:
    'The bearer token fails verification: bad signature, not HS256 (`alg: none` included), not yet valid, or without `sub`, a UUID `tenant_id` or `exp`.',
  AUTH_TOKEN_EXPIRED: "The bearer token's `exp` has passed.",
  ADMIN_ROLE_REQUIRED: 'An `/admin/*` path, however spelled, with a token that lacks the `admin` role.',
  // Customers (src/customers)
  CUSTOMER_NOT_FOUND:
    "No customer of the caller's tenant with that id (nor one whose Stripe creation has not finished), or a `customerId` the tenant does not own, refused before Stripe is called.",
  // Idempotency (src/idempotency)
  IDEMPOTENCY_KEY_REQUIRED: 'An idempotent `POST` sent without `Idempotency-Key`.',
  IDEMPOTENCY_KEY_INVALID: 'The `Idempotency-Key` is not a UUID v4 (bare or quoted), or was sent twice.',
  IDEMPOTENCY_KEY_MISMATCH:
    'The key was used with another request (method, route or body), or already created a row for one.',
  DUPLICATE_IN_PROGRESS:
    'A request with the same key is still running, or a retry took this one over; `Retry-After: 1`. Not stored.',
  // Payments (src/payments)
  PAYMENT_NOT_FOUND: "No payment of the caller's tenant with that id; another tenant's is the same 404.",
  RELATED_PAYMENT_NOT_FOUND: "A fee's `relatedPaymentId` names no payment of the caller's tenant.",
  // Refunds (src/refunds)
  REFUND_EXCEEDS_PAYMENT:
    'More than is left to refund (a fully refunded payment has nothing left), or Stripe holds less to refund; `details.remaining`.',
  PAYMENT_NOT_REFUNDABLE: 'The payment never succeeded, so there is nothing to refund.',
  REFUND_IN_PROGRESS:
    'The refund fits only if refunds still in flight fail (`details.pending`), or reconciliation is settling it; `Retry-After`. Not stored.',
  REFUND_NOT_FOUND: "No refund of the caller's tenant with that id; another tenant's is the same 404.",
  // Stripe (src/stripe)
  CARD_DECLINED:
    "Stripe declined the card. The failed payment is recorded: `details.paymentId`, and Stripe's `details.declineCode`.",
  PAYMENT_METHOD_INVALID:
    'Stripe does not know or accept the payment method; the failed payment is recorded (`details.paymentId`).',
  PAYMENT_PROVIDER_REJECTED: 'Stripe refused the request for good (`details.providerCode`).',
  PAYMENT_PROVIDER_UNAVAILABLE:
    'Stripe unreachable, timed out, 5xx, rate-limited, or refusing for an account or configuration reason. Nothing stored: retry with the same key.',
  // Stripe webhooks (src/webhooks)
  WEBHOOK_SIGNATURE_INVALID:
    '`Stripe-Signature` missing, matching no configured secret, outside the tolerance or with several `t=`, or a signed body that is not a Stripe event. Nothing stored.',
  WEBHOOK_EVENT_NOT_FOUND: 'A replay of an event id the inbox does not hold.',
  // Tenant events (src/events)
  EVENT_NOT_FOUND:
    "No event of the caller's tenant with that id (or it is past `EVENT_RETENTION_DAYS`); another tenant's is the same 404.",
  // Webhook endpoints (src/webhook-endpoints)
  WEBHOOK_URL_INVALID:
    'The endpoint URL is not an absolute `http(s)` URL (`https` only in production), carries credentials, does not resolve, or resolves to a loopback, private, link-local, metadata or otherwise non-public address (allowed only with `OUTGOING_WEBHOOKS_ALLOW_PRIVATE_URLS=true`); `details.fields` says why.',
  WEBHOOK_ENDPOINT_NOT_FOUND:
    "No webhook endpoint of the caller's tenant with that id; another tenant's is the same 404.",
  WEBHOOK_ENDPOINT_LIMIT_REACHED:
    'The tenant has `WEBHOOK_ENDPOINTS_PER_TENANT` endpoints already (`details.limit`); delete one first.',
  WEBHOOK_ENDPOINT_DISABLED:
    'A resend or recovery to a disabled endpoint; enable it first with `PATCH {"disabled": false}`. Not stored.',
};

interface CatalogEntry {
  code: string;
  status: number;
  file: string;
  meaning: string;
}

/**
 * Every code with its status, declaring file and meaning, by status then code. Throws when two
 * modules give one code different statuses, when a code has no meaning, or a meaning no code.
 */
export function catalogEntries(
  sources: readonly ErrorCodeSource[] = ERROR_CODE_SOURCES,
  meanings: Readonly<Record<string, string>> = ERROR_MEANINGS,
): CatalogEntry[] {
  const entries = new Map<string, CatalogEntry>();
  const problems: string[] = [];
  for (const { file, statuses } of sources) {
    for (const [code, status] of Object.entries(statuses)) {
      const known = entries.get(code);
      if (known && known.status !== status) {
        problems.push(`${code} maps to ${known.status} in ${known.file} and to ${status} in ${file}`);
      }
      entries.set(code, { code, status, file: known?.file ?? file, meaning: meanings[code] ?? '' });
    }
  }
  for (const code of entries.keys()) {
    if (!meanings[code]?.trim()) problems.push(`${code} has no meaning in scripts/error-catalog.ts`);
  }
  for (const code of Object.keys(meanings)) {
    if (!entries.has(code)) problems.push(`the meaning of ${code} names no code of any module`);
  }
  if (problems.length > 0) throw new Error(`The error catalog is incomplete:\n- ${problems.join('\n- ')}`);
  return [...entries.values()].sort((a, b) => a.status - b.status || a.code.localeCompare(b.code));
}

/** The text of docs/errors.md. */
export function renderErrorCatalog(entries: readonly CatalogEntry[] = catalogEntries()): string {
  const rows = entries.map(({ code, status, file, meaning }) => [
    `\`${code}\``,
    `${status} ${STATUS_CODES[status] ?? ''}`.trim(),
    `[${moduleOf(file)}](../${file})`,
    meaning,
  ]);
  return [
    '# Error codes',
    '',
    '<!-- Written by `npm run docs:errors` (scripts/error-catalog.ts); edit the meanings there. -->',
    '',
    'Every error answers with one JSON body: `{"statusCode", "code", "message", "details"?}`. Clients',
    'branch on `code`, which is stable; `message` is for people and may change. Which codes each route',
    'can answer is in the OpenAPI document ([openapi.json](openapi.json), or `/docs` on a running',
    'service). Which answers an idempotent `POST` stores for replay is in',
    '[the idempotency design](design/idempotency.md#what-is-stored).',
    '',
    ...markdownTable(['code', 'status', 'module', 'meaning'], rows),
    '',
  ].join('\n');
}

/** A table with its columns padded to one width, as Prettier lays Markdown tables out. */
function markdownTable(header: readonly string[], rows: readonly (readonly string[])[]): string[] {
  const width = (cell: string) => [...cell].length;
  const widths = header.map((title, column) =>
    Math.max(width(title), 3, ...rows.map((row) => width(row[column]))),
  );
  const line = (cells: readonly string[]) =>
    `| ${cells.map((cell, column) => cell + ' '.repeat(widths[column] - width(cell))).join(' | ')} |`;
  return [line(header), line(widths.map((columnWidth) => '-'.repeat(columnWidth))), ...rows.map(line)];
}

/** `src/auth/auth.exception.ts` → `auth`; the common codes → `common`. */
function moduleOf(file: string): string {
  return file.split('/')[1];
}

if (require.main === module) {
  try {
    writeFileSync(resolve(__dirname, '..', ERROR_CATALOG_PATH), renderErrorCatalog());
    process.stdout.write(`Wrote ${ERROR_CATALOG_PATH}\n`);
  } catch (error) {
    process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  }
}
