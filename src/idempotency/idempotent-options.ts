export const IDEMPOTENT_OPTIONS = 'idempotent:options';

export interface IdempotentOptions {
  /**
   * The claim commits with the handler's first writes and the completion with its last, through the request's
   * unit of work (`src/database/unit-of-work.ts`). Only for handlers that open no transaction of their own
   * and do nothing slow before their first commit, since the claim holds a connection until then.
   */
  sharesUnitOfWork?: boolean;
}
