export const IDEMPOTENT_OPTIONS = 'idempotent:options';

export interface IdempotentOptions {
  /**
   * The handler writes through the request's unit of work (`src/database/unit-of-work.ts`) and commits
   * recovery point 1 itself, so the claim commits with its first writes and the completion with its last
   * ones. Only for handlers that open no transaction of their own and do nothing slow before their first
   * commit: the claim's transaction holds a connection until then.
   */
  sharesUnitOfWork?: boolean;
}
