/** A POST that takes no fields: any field sent is refused (`400 VALIDATION_FAILED`); `{}` or no body is fine. */
export class EmptyBodyDto {}
