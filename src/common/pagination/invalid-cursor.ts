import { CommonErrorCode, CommonException } from '../errors/common.exception';

/** A cursor of the right shape that no page of this route wrote: the same 400 as any bad field. */
export function invalidCursor(): CommonException {
  return new CommonException(CommonErrorCode.VALIDATION_FAILED, 'cursor is not one this route returned', {
    fields: [{ field: 'cursor', messages: ['cursor must be a nextCursor this route returned'] }],
  });
}
