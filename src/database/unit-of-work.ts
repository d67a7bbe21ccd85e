import { AsyncLocalStorage } from 'node:async_hooks';
import type { DataSource, EntityManager } from 'typeorm';
import { PipelinedTransaction } from './pipelined-transaction';

/** Statements run on the manager of the transaction they take part in. */
export type Statements<T> = (manager: EntityManager) => Promise<T>;

const current = new AsyncLocalStorage<UnitOfWork>();

/**
 * The transactions of one request, shared by code that does not know about each other: what
 * joins goes into the pending transaction (begun by the first statement) and becomes durable
 * when the unit commits. An idempotent route uses it so that a new payment costs two commits —
 * the key's claim with recovery point 1, then recovery point 3 with the key's completion — and
 * holds no connection while Stripe is called, because each transaction is committed before the
 * next step that acts on the world.
 *
 * Hand-written rather than `@nestjs-cls/transactional`, which scopes a transaction to one
 * callback: here a transaction is begun by the interceptor and committed by the payment's
 * repository (recovery point 1), or begun by the repository and committed by the interceptor
 * once the response is known (the key's completion).
 */
export class UnitOfWork {
  private pending: Promise<PipelinedTransaction> | undefined;
  /** A statement failed and its transaction was rolled back: the next `commit()` must say so. */
  private rolledBack = false;
  private closed = false;

  constructor(private readonly dataSource: DataSource) {}

  /** The unit the running request shares, if it has one. */
  static current(): UnitOfWork | undefined {
    return current.getStore();
  }

  /** Runs `work` outside any unit: for what outlives the request (a timer, a write kept for later). */
  static outside<T>(work: () => T): T {
    return current.exit(work);
  }

  /** Runs `work`, and everything it starts, with this unit as the request's unit. */
  run<T>(work: () => T): T {
    return current.run(this, work);
  }

  /**
   * Runs `work` in the pending transaction, beginning one when none is pending. When `work`
   * fails, the transaction is rolled back at once (PostgreSQL would refuse anything more in it),
   * so what joins next — releasing the key, say — begins afresh.
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
   * Runs `work`, which sends one statement, without sending it yet: it is written with the
   * transaction's next statement, its COMMIT or `flush`, so it costs no round trip of its own.
   * Resolves once the statement is held. If it fails, PostgreSQL refuses everything after it
   * and answers COMMIT with ROLLBACK: nothing commits without it. `answer` is for a caller that
   * needs the statement's result once it is sent.
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

  /** Sends the deferred statements of the pending transaction now. */
  async flush(): Promise<void> {
    const transaction = await this.pending?.catch(() => undefined);
    transaction?.flush();
  }

  get hasPending(): boolean {
    return this.pending !== undefined;
  }

  /**
   * Makes the pending transaction durable and gives its connection back. With `last`, a single
   * statement, runs it as the transaction's last (beginning one when none is pending) and sends
   * COMMIT with it; a statement `last` sends after that one is refused, never run outside the
   * transaction. Rejects when the work could not be made durable.
   */
  commit(): Promise<void>;
  commit<T>(last: Statements<T>): Promise<T>;
  commit<T>(last?: Statements<T>): Promise<T | void> {
    return last ? this.commitWith(last) : this.commitPending();
  }

  /** Forgets what the pending transaction holds and gives its connection back. */
  async rollback(): Promise<void> {
    const pending = this.pending;
    if (!pending) return;
    this.pending = undefined;
    const transaction = await pending.catch(() => undefined);
    if (!transaction) return;
    const failure = await transaction.abort();
    await transaction.release(failure);
    if (failure !== undefined) throw new Error('Could not roll back', { cause: failure });
  }

  /** Rolls back anything pending and lets nothing join any more. Never rejects: a failed rollback has nothing left to undo. */
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
    try {
      await transaction.commit();
    } catch (error) {
      await transaction.release(error);
      throw error;
    }
    await transaction.release();
  }
}

/**
 * Runs `work` in the request's unit of work when it has one, and on `manager` as it is outside
 * one (jobs, the CLI, webhooks): a `read` joins only a transaction already pending (it sees what
 * the unit wrote and takes no second connection), a `write` joins or begins one, and a `commit`
 * is the transaction's last statement and commits it (see `UnitOfWork.commit`).
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
