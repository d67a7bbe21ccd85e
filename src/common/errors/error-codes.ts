import { HttpStatus } from '@nestjs/common';
import type { DocumentedDetails, ErrorDetails } from '../openapi/error-details';
import type { ResponseHeaders } from '../openapi/response-headers';

/** Filled by `moduleException`, so the OpenAPI decorators read codes without importing the modules. */
const statusByCode = new Map<string, HttpStatus>();
const headersByCode = new Map<string, ResponseHeaders>();
const detailsByCode = new Map<string, ErrorDetails>();

/** A code declared by two modules with different statuses fails at load. */
export function registerErrorCodes(
  statuses: Readonly<Record<string, HttpStatus>>,
  headers: Readonly<Record<string, ResponseHeaders>> = {},
  details: DocumentedDetails = {},
): void {
  mergeStatusMap(statusByCode, statuses);
  for (const [code, header] of Object.entries(headers)) headersByCode.set(code, header);
  for (const [code, detail] of Object.entries(details)) detailsByCode.set(code, detail);
}

export function registeredErrorCodes(): string[] {
  return [...statusByCode.keys()];
}

export function errorStatusOf(code: string): HttpStatus {
  const status = statusByCode.get(code);
  if (status === undefined) throw new Error(`Error code ${code} is in no module's status map`);
  return status;
}

export function errorHeadersOf(code: string): ResponseHeaders {
  return headersByCode.get(code) ?? {};
}

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
