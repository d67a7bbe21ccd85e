import { ValidationError } from 'class-validator';
import { CommonErrorCode, CommonException } from './common.exception';

interface FieldError {
  field: string;
  messages: string[];
}

/** One 400 naming every offending field, nested ones by path. */
export function validationExceptionFactory(errors: ValidationError[]): CommonException {
  const fields = flatten(errors);
  const message = fields.map(({ messages }) => messages[0]).join('; ') || 'Request validation failed';
  return new CommonException(CommonErrorCode.VALIDATION_FAILED, message, { fields });
}

function flatten(errors: ValidationError[], prefix = ''): FieldError[] {
  return errors.flatMap((error) => {
    const field = prefix ? `${prefix}.${error.property}` : error.property;
    const own = error.constraints ? [{ field, messages: Object.values(error.constraints) }] : [];
    return [...own, ...flatten(error.children ?? [], field)];
  });
}

/** Same 400 shape as a body field. */
export const uuidParamExceptionFactory = (field: string) => () =>
  new CommonException(CommonErrorCode.VALIDATION_FAILED, `${field} must be a UUID`, {
    fields: [{ field, messages: [`${field} must be a UUID`] }],
  });
