import type { HeaderObject } from '@nestjs/swagger';

export type ResponseHeaders = Record<string, HeaderObject>;

export function locationHeader(path: string): ResponseHeaders {
  return {
    Location: {
      description: `Where the created resource is read: \`${path}\`.`,
      required: true,
      schema: { type: 'string', example: path.replace('{id}', '6f1c2a4e-8a0b-4c5d-9e2f-1a2b3c4d5e6f') },
    },
  };
}

export const RETRY_AFTER_HEADER: ResponseHeaders = {
  'Retry-After': {
    description: 'Seconds to wait before retrying.',
    schema: { type: 'integer', minimum: 1 },
  },
};

export const WWW_AUTHENTICATE_HEADER: ResponseHeaders = {
  'WWW-Authenticate': {
    description: 'The scheme to authenticate with (RFC 6750).',
    schema: { type: 'string', example: 'Bearer' },
  },
};
