import { AsyncLocalStorage } from 'node:async_hooks';
import { DataSource, EntityManager, QueryRunner } from 'typeorm';

const current = new AsyncLocalStorage<UnitOfWork>();

/**
 * The transactions of one request, shared by code that does not know about each other: writes
 * that join the unit go into its pending transaction (begun by the first of them) and become
 * durable together when the unit commits. An idempotent route uses it so that a new payment
 * costs two commits — the key's claim with recovery point 1, then recovery point 3 with the
 * key's completion — and holds no connection while Stripe is called, because each transaction
 * is committed before the next step that acts on the world.
 *
 * Hand-written rather than `@nestjs-cls/transactional`: that library scopes a transaction to
 * one callback (`withTransaction(fn)`), while here a transaction is begun by the interceptor and
 * committed by the ledger (recovery point 1), or begun by the ledger and committed by the
 * interceptor once the response is known (the key's completion).
 */
export class UnitOfWork {
  private pending: Promise<QueryRunner> | undefined;
  /** Set when a statement failed and its transaction was rolled back: nothing is left to commit. */
  private rolledBack = false;
  private closed = false;

  constructor(private readonly dataSource: DataSource) {}

  /** The unit the running request shares, if it has one. */
  static current(): UnitOfWork | undefined {
    return current.getStore();
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
  async join<T>(work: (manager: EntityManager) => Promise<T>): Promise<T> {
    if (this.closed) throw new Error('This unit of work is closed');
    if (!this.pending) {
      this.pending = this.begin();
      this.rolledBack = false;
    }
    const runner = await this.pending;
    try {
      return await work(runner.manager);
    } catch (error) {
      await this.rollback().catch(() => undefined);
      this.rolledBack = true;
      throw error;
    }
  }

  /** Whether a transaction was begun and not yet committed or rolled back. */
  get hasPending(): boolean {
    return this.pending !== undefined;
  }

  /**
   * Makes what joined the pending transaction durable and gives its connection back. Rejects
   * when it could not: a statement of the transaction failed and it was rolled back, or the
   * commit itself failed.
   */
  async commit(): Promise<void> {
    const pending = this.pending;
    if (!pending) {
      if (!this.rolledBack) return;
      this.rolledBack = false;
      throw new Error('A statement of the transaction failed; it was rolled back');
    }
    this.pending = undefined;
    const runner = await pending;
    try {
      await runner.commitTransaction();
    } finally {
      await runner.release();
    }
  }

  /** Forgets what the pending transaction holds and gives its connection back. */
  async rollback(): Promise<void> {
    const pending = this.pending;
    if (!pending) return;
    this.pending = undefined;
    const runner = await pending.catch(() => undefined);
    if (!runner) return;
    try {
      if (runner.isTransactionActive) await runner.rollbackTransaction();
    } finally {
      await runner.release();
    }
  }

  /**
   * Ends the unit: anything still pending is rolled back, and nothing may join any more. Never
   * rejects: a rollback that fails (the connection is gone) has nothing left to undo.
   */
  async close(): Promise<void> {
    this.closed = true;
    await this.rollback().catch(() => undefined);
  }

  private async begin(): Promise<QueryRunner> {
    const runner = this.dataSource.createQueryRunner();
    try {
      await runner.connect();
      await runner.startTransaction();
      return runner;
    } catch (error) {
      await runner.release();
      throw error;
    }
  }
}

/**
 * Runs a write in the request's unit of work when there is one, and on `manager` as it is
 * (autocommit, or the caller's own transaction) outside one: jobs, the CLI, webhooks.
 */
export function writeInUnitOfWork<T>(
  manager: EntityManager,
  work: (manager: EntityManager) => Promise<T>,
): Promise<T> {
  const unit = UnitOfWork.current();
  return unit ? unit.join(work) : work(manager);
}

/**
 * Runs a read in the request's pending transaction when there is one — it sees what the unit
 * wrote and takes no second connection — and on `manager` otherwise. Never begins a transaction.
 */
export function readInUnitOfWork<T>(
  manager: EntityManager,
  work: (manager: EntityManager) => Promise<T>,
): Promise<T> {
  const unit = UnitOfWork.current();
  return unit?.hasPending ? unit.join(work) : work(manager);
}

/** Commits what the request's unit of work holds so far; nothing to do outside one. */
export async function commitUnitOfWork(): Promise<void> {
  await UnitOfWork.current()?.commit();
}
