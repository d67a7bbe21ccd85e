import { HttpStatus } from '@nestjs/common';
import { ApiResponse, DECORATORS, HeaderObject } from '@nestjs/swagger';
import { CommonErrorCode } from '../errors/common.exception';
import { errorHeadersOf, errorStatusOf } from '../errors/error-codes';
import { errorResponseSchema } from './error-schemas';
import { ResponseHeaders } from './response-headers';

type ErrorCode = string;

export type StatusHeaders = (status: HttpStatus) => ResponseHeaders;

interface DocumentedErrors {
  codes: ErrorCode[];
  headerRules: StatusHeaders[];
}

const DOCUMENTED_ERRORS = 'payment-service:documented-errors';

/** Several `@ApiErrors()` on one target add up, in any order: each re-renders one response per status. */
export function ApiErrors(...codes: ErrorCode[]): MethodDecorator & ClassDecorator {
  return documentErrors({ codes, headerRules: [] });
}

/**
 * Answered while the body is read, before the route runs. Fastify reads a body on every method but GET and
 * HEAD, so a PATCH or DELETE answers these even if its route takes none. `@Idempotent()` adds them itself.
 */
export const ApiBodyErrors = () =>
  ApiErrors(
    CommonErrorCode.VALIDATION_FAILED,
    CommonErrorCode.MALFORMED_JSON,
    CommonErrorCode.BAD_REQUEST,
    CommonErrorCode.PAYLOAD_TOO_LARGE,
    CommonErrorCode.UNSUPPORTED_MEDIA_TYPE,
  );

export function ApiErrorHeaders(rule: StatusHeaders): MethodDecorator & ClassDecorator {
  return documentErrors({ codes: [], headerRules: [rule] });
}

function documentErrors(added: DocumentedErrors): MethodDecorator & ClassDecorator {
  return (target: object, key?: string | symbol, descriptor?: PropertyDescriptor) => {
    // Swagger keeps method metadata on the function and class metadata on the class.
    const holder = (descriptor?.value as object | undefined) ?? target;
    const previous = Reflect.getMetadata(DOCUMENTED_ERRORS, holder) as DocumentedErrors | undefined;
    const documented: DocumentedErrors = {
      codes: [...new Set([...(previous?.codes ?? []), ...added.codes])],
      headerRules: [...(previous?.headerRules ?? []), ...added.headerRules],
    };
    Reflect.defineMetadata(DOCUMENTED_ERRORS, documented, holder);

    const byStatus = groupByStatus(documented.codes);
    // Replace, not merge: Swagger would concatenate the descriptions of a status seen twice.
    const responses = {
      ...((Reflect.getMetadata(DECORATORS.API_RESPONSE, holder) as object | undefined) ?? {}),
    } as Record<string, unknown>;
    for (const status of byStatus.keys()) delete responses[status];
    Reflect.defineMetadata(DECORATORS.API_RESPONSE, responses, holder);

    for (const [status, statusCodes] of byStatus) {
      const headers = {
        ...headersOfCodes(statusCodes),
        ...Object.assign({}, ...documented.headerRules.map((rule) => rule(status))),
      } as ResponseHeaders;
      ApiResponse({
        status,
        description: statusCodes.join(' | '),
        schema: errorResponseSchema(statusCodes),
        ...(Object.keys(headers).length > 0 ? { headers } : {}),
      })(target, key as string, descriptor as PropertyDescriptor);
    }
  };
}

function headersOfCodes(codes: readonly ErrorCode[]): ResponseHeaders {
  const carried = new Map<string, { header: HeaderObject; codes: ErrorCode[] }>();
  for (const code of codes) {
    for (const [name, header] of Object.entries(errorHeadersOf(code))) {
      carried.set(name, { header, codes: [...(carried.get(name)?.codes ?? []), code] });
    }
  }
  const headers: ResponseHeaders = {};
  for (const [name, { header, codes: withCodes }] of carried) {
    headers[name] =
      withCodes.length === codes.length
        ? { ...header, required: true }
        : { ...header, description: `${header.description ?? ''} Sent with ${withCodes.join(', ')}.` };
  }
  return headers;
}

export function groupByStatus(codes: readonly ErrorCode[]): Map<HttpStatus, ErrorCode[]> {
  const groups = new Map<HttpStatus, ErrorCode[]>();
  for (const code of codes) {
    const status = errorStatusOf(code);
    groups.set(status, [...(groups.get(status) ?? []), code]);
  }
  for (const group of groups.values()) group.sort();
  return groups;
}
