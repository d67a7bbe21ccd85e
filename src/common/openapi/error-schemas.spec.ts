import { HttpStatus } from '@nestjs/common';
import { moduleException } from '../errors/app.exception';
import { errorDetails } from './error-details';
import { codesOfErrorSchema, errorBodySchema, errorResponseSchema, errorSchemaName } from './error-schemas';

enum SampleErrorCode {
  DECLINED = 'SAMPLE_DECLINED',
  SOMETIMES = 'SAMPLE_SOMETIMES',
  BARE = 'SAMPLE_BARE',
}

// Built for its side effect: the codes, their statuses and details join the registry.
moduleException(
  {
    [SampleErrorCode.DECLINED]: HttpStatus.PAYMENT_REQUIRED,
    [SampleErrorCode.SOMETIMES]: HttpStatus.CONFLICT,
    [SampleErrorCode.BARE]: HttpStatus.CONFLICT,
  },
  {},
  {
    [SampleErrorCode.DECLINED]: errorDetails({ paymentId: { type: 'string' } }, { required: ['paymentId'] }),
    [SampleErrorCode.SOMETIMES]: errorDetails({ pending: { type: 'integer' } }, { always: false }),
  },
);

describe('error schemas', () => {
  it('names each code’s schema after the code', () => {
    expect(errorSchemaName('REFUND_EXCEEDS_PAYMENT')).toBe('RefundExceedsPaymentError');
  });

  it('fixes status and code, and requires details only of a code that always sends them', () => {
    const declined = errorBodySchema(SampleErrorCode.DECLINED);
    expect(declined.properties?.statusCode).toMatchObject({ enum: [402] });
    expect(declined.properties?.code).toMatchObject({ enum: ['SAMPLE_DECLINED'] });
    expect(declined.properties?.details).toMatchObject({
      required: ['paymentId'],
      additionalProperties: false,
    });
    expect(declined.required).toEqual(['statusCode', 'code', 'message', 'details']);
    expect(errorBodySchema(SampleErrorCode.SOMETIMES).required).toEqual(['statusCode', 'code', 'message']);
    expect(errorBodySchema(SampleErrorCode.BARE).properties).not.toHaveProperty('details');
  });

  it('reads back the codes a response schema stands for', () => {
    const both = errorResponseSchema([SampleErrorCode.SOMETIMES, SampleErrorCode.BARE]);
    expect(codesOfErrorSchema(both)).toEqual(['SAMPLE_BARE', 'SAMPLE_SOMETIMES']);
    expect(codesOfErrorSchema(errorResponseSchema([SampleErrorCode.DECLINED]))).toEqual(['SAMPLE_DECLINED']);
    expect(codesOfErrorSchema({ type: 'object' })).toEqual([]);
  });
});
