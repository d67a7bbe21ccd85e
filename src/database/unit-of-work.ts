import { AsyncLocalStorage } from 'node:async_hooks';
import type { DataSource, EntityManager } from 'typeorm';
import { PipelinedTransaction } from './pipelined-transaction';

/** Statements run on the manager of the transaction they take part in. */
export type Statements<T> = (manager: EntityManager) => Promise<T>;

const current = new AsyncLocalStorage<UnitOfWork>();

/**
 * The transactions of one request, shared by code that does not know about each other, so that
 * a new payment costs two commits (the key's claim with recovery point 1, then recovery point 3
 * with the key's completion) and holds no connection while Stripe is called. Not
 * `@nestjs-cls/transactional`, which scopes a transaction to one callback: here the interceptor
 * begins a transaction the payment's repository commits, and the other way round.
 */
export class UnitOfWork {
  private pending: Promise<PipelinedTransaction> | undefined;
  /** A statement failed and its transaction was rolled back: `commit()` must say so. */
  private rolledBack = false;
  private closed = false;
  /** What waits for the pending transaction to commit (see `afterCommit`). */
  private committed: Array<() => void> = [];

  constructor(private readonly dataSource: DataSource) {}

  /** The running request's unit, if any: repositories join it without being handed it. */
  static current(): UnitOfWork | undefined {
    return current.getStore();
  }

  /** For what outlives the request (a timer, a write kept for later), which must not join its unit. */
  static outside<T>(work: () => T): T {
    return current.exit(work);
  }

  /** Makes this the unit of `work` and of everything it starts. */
  run<T>(work: () => T): T {
    return current.run(this, work);
  }

  /**
   * Runs `work` in the pending transaction, beginning one if needed. A failure rolls it back at
   * once (PostgreSQL would refuse anything more), so what joins next, releasing the key, begins afresh.
   */
  async join<T>(work: Statements<T>): Promise<T> {
    const transaction = await this.pendingTransaction();
    try {
      const result = await work(transaction.manager);
      await transaction.ensureBegun();
      return result;
    } catch (error) {
      await this.rollback().catch(() => undefined);
      this.rolledBack = true;
      throw error;
    }
  }

  /**
   * Holds back the one statement `work` sends, to be written with the next statement, COMMIT or
   * `flush`: no round trip of its own. Should it fail, nothing after it commits.
   */
  async defer<T>(work: Statements<T>): Promise<{ answer: Promise<T> }> {
    const transaction = await this.pendingTransaction();
    const deferred = transaction.deferNextStatement();
    const answer = work(transaction.manager);
    answer.catch(() => undefined);
    // `work` fails before sending anything only when it cannot reach its connection.
    await Promise.race([deferred, answer]);
    return { answer };
  }

  /** For a caller that needs a deferred statement's answer before anything follows it (the key's claim). */
  async flush(): Promise<void> {
    const transaction = await this.pending?.catch(() => undefined);
    transaction?.flush();
  }

  /**
   * Runs `callback` once the pending transaction (or the next one) has committed, outside the
   * unit; forgotten if it is rolled back. For work that must follow the commit, never precede it:
   * handing an event to a queue whose worker would not see it yet.
   */
  afterCommit(callback: () => void): void {
    this.committed.push(callback);
  }

  /** A read joins a pending transaction rather than take a second connection, but never begins one. */
  get hasPending(): boolean {
    return this.pending !== undefined;
  }

  /**
   * Commits the pending transaction, rejecting when its work was lost. `last`, one statement, is
   * sent with COMMIT; a second one it sends is refused rather than run outside the transaction.
   */
  commit(): Promise<void>;
  commit<T>(last: Statements<T>): Promise<T>;
  commit<T>(last?: Statements<T>): Promise<T | void> {
    return last ? this.commitWith(last) : this.commitPending();
  }

  /** Forgets the pending transaction; what joins next begins a new one. */
  async rollback(): Promise<void> {
    this.committed = [];
    const pending = this.pending;
    if (!pending) return;
    this.pending = undefined;
    const transaction = await pending.catch(() => undefined);
    if (!transaction) return;
    const failure = await transaction.abort();
    await transaction.release(failure);
    if (failure !== undefined) throw new Error('Could not roll back', { cause: failure });
  }

  /** Never rejects: a rollback that fails has nothing left to undo. */
  async close(): Promise<void> {
    this.closed = true;
    await this.rollback().catch(() => undefined);
  }

  private async commitPending(): Promise<void> {
    const pending = this.pending;
    if (!pending) {
      if (!this.rolledBack) return;
      this.rolledBack = false;
      throw new Error('A statement of the transaction failed; it was rolled back');
    }
    this.pending = undefined;
    await this.commitAndRelease(await pending);
  }

  private async commitWith<T>(last: Statements<T>): Promise<T> {
    const transaction = await this.pendingTransaction();
    this.pending = undefined;
    transaction.commitWithNextStatement();
    let result: T;
    try {
      result = await last(transaction.manager);
    } catch (error) {
      this.rolledBack = true;
      await transaction.release(await transaction.abort());
      throw error;
    }
    try {
      await this.commitAndRelease(transaction);
    } catch (error) {
      this.rolledBack = true;
      throw error;
    }
    return result;
  }

  private pendingTransaction(): Promise<PipelinedTransaction> {
    if (this.closed) throw new Error('This unit of work is closed');
    if (!this.pending) {
      this.pending = PipelinedTransaction.open(this.dataSource);
      this.rolledBack = false;
    }
    return this.pending;
  }

  private async commitAndRelease(transaction: PipelinedTransaction): Promise<void> {
    const committed = this.committed.splice(0);
    try {
      await transaction.commit();
    } catch (error) {
      await transaction.release(error);
      throw error;
    }
    await transaction.release();
    UnitOfWork.outside(() => committed.forEach((callback) => callback()));
  }
}

/**
 * Lets a repository serve requests with a unit of work and without (jobs, the CLI, webhooks):
 * `read` joins only a pending transaction (no second connection), `write` joins or begins one,
 * `commit` is its last statement; outside a unit, `work` runs on `manager` as it is.
 */
export function runInUnitOfWork<T>(
  role: 'read' | 'write' | 'commit',
  manager: EntityManager,
  work: Statements<T>,
): Promise<T> {
  const unit = current.getStore();
  if (!unit) return work(manager);
  switch (role) {
    case 'read':
      return unit.hasPending ? unit.join(work) : work(manager);
    case 'write':
      return unit.join(work);
    case 'commit':
      return unit.commit(work);
  }
}
