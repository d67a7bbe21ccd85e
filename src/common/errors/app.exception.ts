import { HttpStatus } from '@nestjs/common';
import type { ErrorDetails } from '../openapi/error-details';
import type { ResponseHeaders } from '../openapi/response-headers';
import { registerErrorCodes } from './error-codes';

export interface ErrorBody {
  statusCode: number;
  code: string;
  message: string;
  details?: Record<string, unknown>;
}

/** The one error shape the service answers with (docs/errors.md). */
export class AppException extends Error {
  constructor(
    readonly code: string,
    readonly status: HttpStatus,
    message: string,
    readonly details?: Record<string, unknown>,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
    this.name = new.target.name;
  }

  toBody(): ErrorBody {
    return {
      statusCode: this.status,
      code: this.code,
      message: this.message,
      ...(this.details ? { details: this.details } : {}),
    };
  }
}

/** The code decides the status, so a module can only throw the statuses its map declares. */
export function moduleException<Code extends string>(
  statusByCode: Record<Code, HttpStatus>,
  documentedHeaders: Partial<Record<Code, ResponseHeaders>> = {},
  documentedDetails: Partial<Record<Code, ErrorDetails>> = {},
) {
  registerErrorCodes(
    statusByCode,
    documentedHeaders as Record<string, ResponseHeaders>,
    documentedDetails as Record<string, ErrorDetails>,
  );
  return class extends AppException {
    constructor(
      code: Code,
      message: string,
      details?: Record<string, unknown>,
      headers?: Record<string, string>,
    ) {
      super(code, statusByCode[code], message, details, headers);
    }
  };
}
