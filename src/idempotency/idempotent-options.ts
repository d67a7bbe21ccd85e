export const IDEMPOTENT_OPTIONS = 'idempotent:options';

export interface IdempotentOptions {
  /**
   * The handler writes through the request's unit of work (`src/database/unit-of-work.ts`) and
   * commits its recovery point 1 itself: the key's claim then commits with the handler's first
   * writes, and the key's completion with its last ones, so a new payment costs two commits.
   * Only for handlers that begin no transaction of their own and call nothing slow before
   * their first commit, since the claim's transaction holds a connection until then.
   */
  sharesUnitOfWork?: boolean;
}
