import { HttpStatus } from '@nestjs/common';
import { ApiResponse, DECORATORS, HeaderObject } from '@nestjs/swagger';
import { CommonErrorCode } from '../errors/common.exception';
import { errorHeadersOf, errorStatusOf } from '../errors/error-codes';
import { errorResponseSchema } from './error-schemas';
import { ResponseHeaders } from './response-headers';

/** A code of a module's error enum (`RefundErrorCode.REFUND_EXCEEDS_PAYMENT`); an unknown one fails at load. */
type ErrorCode = string;

/** Extra headers a response of a given status carries on one route, e.g. `Idempotent-Replayed`. */
export type StatusHeaders = (status: HttpStatus) => ResponseHeaders;

interface DocumentedErrors {
  codes: ErrorCode[];
  headerRules: StatusHeaders[];
}

const DOCUMENTED_ERRORS = 'payment-service:documented-errors';

/**
 * Documents error codes a route (or every route of a controller) may answer with. Codes are
 * grouped by the status their module's map gives them, one response per status whose schema is
 * the error body of each code of that group (`errorResponseSchema`). Several `@ApiErrors()` on one target add
 * up, in any order: each application re-renders the union.
 */
export function ApiErrors(...codes: ErrorCode[]): MethodDecorator & ClassDecorator {
  return documentErrors({ codes, headerRules: [] });
}

/**
 * What reading a JSON body answers before the route runs (`configureApp`): not JSON, too large, a
 * type or charset nothing reads, nested too deep. Fastify reads the body a request sends on every
 * method but GET and HEAD, so a PATCH or DELETE answers these whether or not its route takes a
 * body. (An idempotent route gets them from `@Idempotent()`.)
 */
export const ApiBodyErrors = () =>
  ApiErrors(
    CommonErrorCode.VALIDATION_FAILED,
    CommonErrorCode.MALFORMED_JSON,
    CommonErrorCode.BAD_REQUEST,
    CommonErrorCode.PAYLOAD_TOO_LARGE,
    CommonErrorCode.UNSUPPORTED_MEDIA_TYPE,
  );

/** Adds headers to the documented error responses of a route by status (see `Idempotent()`). */
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

/**
 * The headers the codes of one status carry: required when every one of them sends it, and one
 * carried by only some of them says which.
 */
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
