import { HttpStatus } from '@nestjs/common';
import { DECORATORS } from '@nestjs/swagger';
import { moduleException } from '../errors/app.exception';
import { errorStatusOf, mergeStatusMap } from '../errors/error-codes';
import { ApiErrorHeaders, ApiErrors, groupByStatus } from './api-errors.decorator';
import { RETRY_AFTER_HEADER } from './response-headers';

/** A module's codes, as a feature module declares them (registered when its exception is built). */
enum ProbeErrorCode {
  TOO_MUCH = 'PROBE_TOO_MUCH',
  MISMATCH = 'PROBE_MISMATCH',
  BUSY = 'PROBE_BUSY',
  NOT_ALLOWED = 'PROBE_NOT_ALLOWED',
  UPSTREAM_DOWN = 'PROBE_UPSTREAM_DOWN',
  INVALID = 'PROBE_INVALID',
}

const PROBE_ERROR_STATUS: Record<ProbeErrorCode, HttpStatus> = {
  [ProbeErrorCode.TOO_MUCH]: HttpStatus.UNPROCESSABLE_ENTITY,
  [ProbeErrorCode.MISMATCH]: HttpStatus.UNPROCESSABLE_ENTITY,
  [ProbeErrorCode.BUSY]: HttpStatus.CONFLICT,
  [ProbeErrorCode.NOT_ALLOWED]: HttpStatus.CONFLICT,
  [ProbeErrorCode.UPSTREAM_DOWN]: HttpStatus.BAD_GATEWAY,
  [ProbeErrorCode.INVALID]: HttpStatus.BAD_REQUEST,
};

class ProbeException extends moduleException(PROBE_ERROR_STATUS, {
  [ProbeErrorCode.BUSY]: RETRY_AFTER_HEADER,
}) {}

interface DocumentedResponse {
  description: string;
  headers?: Record<string, { description?: string }>;
  schema: { $ref?: string; oneOf?: Array<{ $ref: string }>; discriminator?: unknown };
}

function responsesOf(method: object): Record<string, DocumentedResponse> {
  return Reflect.getMetadata(DECORATORS.API_RESPONSE, method) as Record<string, DocumentedResponse>;
}

describe(ApiErrors.name, () => {
  it('takes each status from the map the module throws with', () => {
    for (const [code, status] of Object.entries(PROBE_ERROR_STATUS)) expect(errorStatusOf(code)).toBe(status);
    expect(new ProbeException(ProbeErrorCode.BUSY, 'busy').status).toBe(errorStatusOf(ProbeErrorCode.BUSY));
  });

  it('refuses a code no module registered, when the route is declared', () => {
    const declare = () => {
      class Probe {
        @ApiErrors('NOBODY_THROWS_THIS')
        handle() {}
      }
      return Probe;
    };
    expect(declare).toThrow('Error code NOBODY_THROWS_THIS is in no module');
  });

  it('groups codes by status, one response each, with the schema of each code of the group', () => {
    class Probe {
      @ApiErrors(ProbeErrorCode.TOO_MUCH, ProbeErrorCode.UPSTREAM_DOWN)
      @ApiErrors(ProbeErrorCode.MISMATCH)
      handle() {}
    }
    const responses = responsesOf(Probe.prototype.handle);
    expect(Object.keys(responses).sort()).toEqual(['422', '502']);
    expect(responses['422'].description).toBe('PROBE_MISMATCH | PROBE_TOO_MUCH');
    expect(responses['422'].schema).toEqual({
      oneOf: [
        { $ref: '#/components/schemas/ProbeMismatchError' },
        { $ref: '#/components/schemas/ProbeTooMuchError' },
      ],
      discriminator: {
        propertyName: 'code',
        mapping: {
          PROBE_MISMATCH: '#/components/schemas/ProbeMismatchError',
          PROBE_TOO_MUCH: '#/components/schemas/ProbeTooMuchError',
        },
      },
    });
    expect(responses['502'].description).toBe('PROBE_UPSTREAM_DOWN');
    expect(responses['502'].schema).toEqual({ $ref: '#/components/schemas/ProbeUpstreamDownError' });
  });

  it('adds up the same way whichever decorator comes first', () => {
    class First {
      @ApiErrors(ProbeErrorCode.BUSY)
      @ApiErrors(ProbeErrorCode.NOT_ALLOWED)
      handle() {}
    }
    class Second {
      @ApiErrors(ProbeErrorCode.NOT_ALLOWED)
      @ApiErrors(ProbeErrorCode.BUSY)
      handle() {}
    }
    expect(responsesOf(First.prototype.handle)).toEqual(responsesOf(Second.prototype.handle));
  });

  it('says which code of a shared status carries a header', () => {
    class Probe {
      @ApiErrors(ProbeErrorCode.BUSY, ProbeErrorCode.NOT_ALLOWED)
      handle() {}
    }
    expect(responsesOf(Probe.prototype.handle)['409'].headers?.['Retry-After']?.description).toMatch(
      /Sent with PROBE_BUSY\.$/,
    );
  });

  it('adds the headers a rule gives a status, before or after the codes', () => {
    const replayed = { 'Idempotent-Replayed': { schema: { type: 'string' as const } } };
    class Probe {
      @ApiErrors(ProbeErrorCode.INVALID)
      @ApiErrorHeaders((status) => (status === HttpStatus.UNPROCESSABLE_ENTITY ? replayed : {}))
      @ApiErrors(ProbeErrorCode.MISMATCH)
      handle() {}
    }
    const responses = responsesOf(Probe.prototype.handle);
    expect(responses['422'].headers).toEqual(replayed);
    expect(responses['400'].headers).toBeUndefined();
  });

  it('groups a code listed twice once', () => {
    expect([...groupByStatus([ProbeErrorCode.BUSY, ProbeErrorCode.BUSY]).entries()]).toEqual([
      [HttpStatus.CONFLICT, ['PROBE_BUSY', 'PROBE_BUSY']],
    ]);
  });
});

describe(mergeStatusMap.name, () => {
  it('refuses a code two modules map to different statuses', () => {
    expect(() =>
      mergeStatusMap(new Map([['TAKEN', HttpStatus.CONFLICT]]), { TAKEN: HttpStatus.BAD_REQUEST }),
    ).toThrow('Error code TAKEN maps to both 409 and 400');
  });
});
