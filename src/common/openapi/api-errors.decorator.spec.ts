import { HttpStatus } from '@nestjs/common';
import { DECORATORS } from '@nestjs/swagger';
import { AuthErrorCode } from '../../auth/auth-error-code';
import { IdempotencyErrorCode } from '../../idempotency/idempotency-error-code';
import { RefundErrorCode } from '../../refunds/refund-error-code';
import { STRIPE_ERROR_STATUS, StripeErrorCode } from '../../stripe/stripe-error-code';
import { CommonErrorCode } from '../errors/common-error-code';
import { ApiErrorHeaders, ApiErrors, groupByStatus } from './api-errors.decorator';
import { errorStatusOf, mergeStatusMaps } from './error-catalog';

interface DocumentedResponse {
  description: string;
  headers?: Record<string, { description?: string }>;
  schema: { allOf: [unknown, { properties: { code: { enum: string[] }; statusCode: { enum: number[] } } }] };
}

function responsesOf(method: object): Record<string, DocumentedResponse> {
  return Reflect.getMetadata(DECORATORS.API_RESPONSE, method) as Record<string, DocumentedResponse>;
}

describe(ApiErrors.name, () => {
  it('takes each status from the map the module throws with', () => {
    for (const [code, status] of Object.entries(STRIPE_ERROR_STATUS)) {
      expect(errorStatusOf(code as StripeErrorCode)).toBe(status);
    }
    expect(errorStatusOf(AuthErrorCode.TOKEN_EXPIRED)).toBe(HttpStatus.UNAUTHORIZED);
  });

  it('groups codes by status, one response each, with code restricted to the group', () => {
    class Probe {
      @ApiErrors(RefundErrorCode.REFUND_EXCEEDS_PAYMENT, StripeErrorCode.PAYMENT_PROVIDER_UNAVAILABLE)
      @ApiErrors(IdempotencyErrorCode.KEY_MISMATCH)
      handle() {}
    }
    const responses = responsesOf(Probe.prototype.handle);
    expect(Object.keys(responses).sort()).toEqual(['422', '502']);
    expect(responses['422'].description).toBe('IDEMPOTENCY_KEY_MISMATCH | REFUND_EXCEEDS_PAYMENT');
    expect(responses['422'].schema.allOf[1].properties).toEqual({
      statusCode: { type: 'integer', enum: [422] },
      code: { type: 'string', enum: ['IDEMPOTENCY_KEY_MISMATCH', 'REFUND_EXCEEDS_PAYMENT'] },
    });
    expect(responses['502'].description).toBe('PAYMENT_PROVIDER_UNAVAILABLE');
  });

  it('adds up the same way whichever decorator comes first', () => {
    class First {
      @ApiErrors(IdempotencyErrorCode.DUPLICATE_IN_PROGRESS)
      @ApiErrors(RefundErrorCode.PAYMENT_NOT_REFUNDABLE)
      handle() {}
    }
    class Second {
      @ApiErrors(RefundErrorCode.PAYMENT_NOT_REFUNDABLE)
      @ApiErrors(IdempotencyErrorCode.DUPLICATE_IN_PROGRESS)
      handle() {}
    }
    expect(responsesOf(First.prototype.handle)).toEqual(responsesOf(Second.prototype.handle));
  });

  it('says which code of a shared status carries a header', () => {
    class Probe {
      @ApiErrors(IdempotencyErrorCode.DUPLICATE_IN_PROGRESS, RefundErrorCode.PAYMENT_NOT_REFUNDABLE)
      handle() {}
    }
    expect(responsesOf(Probe.prototype.handle)['409'].headers?.['Retry-After']?.description).toMatch(
      /Sent with DUPLICATE_IN_PROGRESS\.$/,
    );
  });

  it('adds the headers a rule gives a status, before or after the codes', () => {
    const replayed = { 'Idempotent-Replayed': { schema: { type: 'string' as const } } };
    class Probe {
      @ApiErrors(CommonErrorCode.VALIDATION_FAILED)
      @ApiErrorHeaders((status) => (status === HttpStatus.UNPROCESSABLE_ENTITY ? replayed : {}))
      @ApiErrors(IdempotencyErrorCode.KEY_MISMATCH)
      handle() {}
    }
    const responses = responsesOf(Probe.prototype.handle);
    expect(responses['422'].headers).toEqual(replayed);
    expect(responses['400'].headers).toBeUndefined();
  });

  it('groups a code two modules declare alike once', () => {
    expect([...groupByStatus([StripeErrorCode.CARD_DECLINED]).entries()]).toEqual([
      [HttpStatus.PAYMENT_REQUIRED, ['CARD_DECLINED']],
    ]);
  });
});

describe(mergeStatusMaps.name, () => {
  it('refuses a code two modules map to different statuses', () => {
    expect(() =>
      mergeStatusMaps([{ TAKEN: HttpStatus.CONFLICT }, { TAKEN: HttpStatus.BAD_REQUEST }]),
    ).toThrow('Error code TAKEN maps to both 409 and 400');
  });
});
