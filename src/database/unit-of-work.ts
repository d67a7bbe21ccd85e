import { AsyncLocalStorage } from 'node:async_hooks';
import type { DataSource, EntityManager } from 'typeorm';
import { PipelinedTransaction } from './pipelined-transaction';

export type Statements<T> = (manager: EntityManager) => Promise<T>;

const current = new AsyncLocalStorage<UnitOfWork>();

/**
 * The transactions of one request, shared by code that does not know about each other, so a new payment costs
 * two commits and holds no connection while Stripe is called. `@nestjs-cls/transactional` scopes a
 * transaction to one callback; here one side begins what the other commits.
 */
export class UnitOfWork {
  private pending: Promise<PipelinedTransaction> | undefined;
  /** Set when a statement failed and rolled back its transaction, so `commit()` can report it. */
  private rolledBack = false;
  private closed = false;
  private committed: Array<() => void> = [];

  constructor(private readonly dataSource: DataSource) {}

  static current(): UnitOfWork | undefined {
    return current.getStore();
  }

  /** For work that outlives the request (a timer, a write kept for later) and must not join its unit. */
  static outside<T>(work: () => T): T {
    return current.exit(work);
  }

  run<T>(work: () => T): T {
    return current.run(this, work);
  }

  /** A failure rolls back at once (PostgreSQL refuses anything more), so the next join begins afresh. */
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

  /** Holds the statement back until the next one, COMMIT or `flush`; if it fails, nothing after commits. */
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

  /** Runs `callback` outside the unit after the commit (e.g. enqueueing a job); dropped on rollback. */
  afterCommit(callback: () => void): void {
    this.committed.push(callback);
  }

  /** A read joins a pending transaction rather than take a second connection, but never begins one. */
  get hasPending(): boolean {
    return this.pending !== undefined;
  }

  /** `last` is sent with COMMIT; rejects when the transaction's work was lost. */
  commit(): Promise<void>;
  commit<T>(last: Statements<T>): Promise<T>;
  commit<T>(last?: Statements<T>): Promise<T | void> {
    return last ? this.commitWith(last) : this.commitPending();
  }

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

/** `read` joins only a pending transaction, `write` joins or begins one, `commit` is its last statement. */
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
