import { HttpStatus } from '@nestjs/common';
import type { DocumentedDetails, ErrorDetails } from '../openapi/error-details';
import type { ResponseHeaders } from '../openapi/response-headers';

/**
 * Every error code the service answers with: its status and the headers its exception sets.
 * Each module's exception class registers its own code → status map as it is built
 * (`moduleException`), so shared code (the OpenAPI decorators) reads the codes without
 * importing the modules, and a code can only be documented with the status it is thrown with.
 */
const statusByCode = new Map<string, HttpStatus>();
const headersByCode = new Map<string, ResponseHeaders>();
const detailsByCode = new Map<string, ErrorDetails>();

/** Adds a module's codes. One code declared by two modules must mean one status: a disagreement fails at load. */
export function registerErrorCodes(
  statuses: Readonly<Record<string, HttpStatus>>,
  headers: Readonly<Record<string, ResponseHeaders>> = {},
  details: DocumentedDetails = {},
): void {
  mergeStatusMap(statusByCode, statuses);
  for (const [code, header] of Object.entries(headers)) headersByCode.set(code, header);
  for (const [code, detail] of Object.entries(details)) detailsByCode.set(code, detail);
}

/** Every registered code, for the API document's error schemas. */
export function registeredErrorCodes(): string[] {
  return [...statusByCode.keys()];
}

export function errorStatusOf(code: string): HttpStatus {
  const status = statusByCode.get(code);
  if (status === undefined) throw new Error(`Error code ${code} is in no module's status map`);
  return status;
}

/** The headers documented beside `code` (e.g. `Retry-After`). */
export function errorHeadersOf(code: string): ResponseHeaders {
  return headersByCode.get(code) ?? {};
}

/** What `code` carries in `details`; undefined when it carries none. */
export function errorDetailsOf(code: string): ErrorDetails | undefined {
  return detailsByCode.get(code);
}

export function mergeStatusMap(
  into: Map<string, HttpStatus>,
  statuses: Readonly<Record<string, HttpStatus>>,
): void {
  for (const [code, status] of Object.entries(statuses)) {
    const known = into.get(code);
    if (known !== undefined && known !== status) {
      throw new Error(`Error code ${code} maps to both ${known} and ${status}`);
    }
    into.set(code, status);
  }
}
