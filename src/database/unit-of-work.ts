import { AsyncLocalStorage } from 'node:async_hooks';
import type { PoolClient, QueryResult } from 'pg';
import { DataSource, EntityManager, QueryRunner } from 'typeorm';

const current = new AsyncLocalStorage<UnitOfWork>();

/** pg's client writes to this socket (`Client.connection.stream`, not in its typings). */
interface ClientWithSocket {
  connection: { stream: Pick<NodeJS.WritableStream, never> & { cork(): void; uncork(): void } };
}

/**
 * One transaction of the unit, on a pooled connection the pool runs in pipeline mode (see
 * `dataSourceOptions`): a query is written at once, without waiting for the previous one's
 * answer. BEGIN is written with the transaction's first statement, and COMMIT, when the unit
 * knows a statement is the last, with that statement, so neither costs a round trip of its own.
 */
class Transaction {
  /** BEGIN's answer; unset until the first statement is sent. */
  private begun: Promise<QueryResult> | undefined;
  /** COMMIT's answer once it is sent; nothing may follow it on this connection then. */
  private committed: Promise<QueryResult> | undefined;
  private commitWithNextStatement = false;
  /** Set by `holdNextStatement`: resolved once the next statement is held back. */
  private holdNext: (() => void) | undefined;
  /** Statements held back, in order, to be written with the next statement or with COMMIT. */
  private held: HeldStatement[] = [];
  private readonly send: PoolClient['query'];

  private constructor(
    readonly runner: QueryRunner,
    private readonly client: PoolClient,
  ) {
    this.send = client.query.bind(client);
    // Every statement of the transaction goes through `sendInTransaction`, whoever issues it:
    // our prepared statements and TypeORM's manager alike use this client.
    client.query = this.sendInTransaction.bind(this) as PoolClient['query'];
    // TypeORM must see the transaction it runs in, so that its own transactions nest in it as
    // savepoints instead of beginning and committing on top of ours.
    Object.assign(runner, { isTransactionActive: true, transactionDepth: 1 });
  }

  static async open(dataSource: DataSource): Promise<Transaction> {
    const runner = dataSource.createQueryRunner();
    try {
      return new Transaction(runner, (await runner.connect()) as PoolClient);
    } catch (error) {
      await runner.release();
      throw error;
    }
  }

  /** Writes COMMIT with the next statement sent, in the same write. */
  commitAfterNextStatement(): void {
    this.commitWithNextStatement = true;
  }

  /**
   * Holds the next statement sent back instead of writing it: it is written, in order, with the
   * transaction's next statement or with its COMMIT, in the same write. Resolves once it is held.
   */
  holdNextStatement(): Promise<void> {
    return new Promise((resolve) => {
      this.holdNext = resolve;
    });
  }

  /**
   * Rejects when BEGIN failed. BEGIN has nothing to fail on but its connection, which the
   * statement written with it shares, so both fail together; still, a statement that ran after
   * a failed BEGIN ran alone (autocommit), so no answer of the transaction is trusted before
   * BEGIN's: the caller fails the request and the connection is destroyed (see `release`).
   */
  async ensureBegun(): Promise<void> {
    await this.begun;
  }

  /** Makes the transaction durable, sending COMMIT now unless it went with the last statement. */
  async commit(): Promise<void> {
    if (!this.begun && this.held.length === 0) return;
    this.committed ??= this.corked(() => {
      this.begun ??= this.sendAlone('BEGIN');
      this.sendHeld();
      return this.sendAlone('COMMIT');
    });
    await this.ensureBegun();
    const { command } = await this.committed;
    // PostgreSQL answers COMMIT with ROLLBACK when a statement of the transaction failed.
    if (command !== 'COMMIT') throw new Error('The transaction failed; it was rolled back');
  }

  /**
   * Ends the transaction without making its work durable: rolls it back, or, when COMMIT went
   * with a statement that failed, waits for PostgreSQL's answer to it (a ROLLBACK). Answers the
   * failure that makes the connection unfit for reuse, if any (see `release`).
   */
  async abort(): Promise<unknown> {
    // Never written: nothing of theirs reached PostgreSQL.
    for (const statement of this.held.splice(0)) statement.drop();
    try {
      if (this.committed) await this.committed;
      else if (this.begun) await this.sendAlone('ROLLBACK');
      await this.ensureBegun();
      return undefined;
    } catch (error) {
      return error;
    }
  }

  /** Gives the connection back; destroys it when `failure` may have left it in any state. */
  async release(failure?: unknown): Promise<void> {
    delete (this.client as Partial<PoolClient>).query;
    Object.assign(this.runner, { isTransactionActive: false, transactionDepth: 0 });
    if (failure === undefined) return this.runner.release();
    const runner = this.runner as unknown as { releasePostgresConnection(error: unknown): Promise<void> };
    return runner.releasePostgresConnection(failure);
  }

  /**
   * Sends BEGIN, COMMIT or ROLLBACK. Its answer is awaited later, after the statement's, so a
   * failure is marked handled here: it must not count as an unhandled rejection meanwhile.
   */
  private sendAlone(sql: string): Promise<QueryResult> {
    const answer = this.send(sql);
    answer.catch(() => undefined);
    return answer;
  }

  private sendInTransaction(...query: Parameters<PoolClient['query']>): unknown {
    if (this.committed) {
      return Promise.reject(new Error('The transaction is committed; nothing more may join it'));
    }
    const held = this.holdNext;
    if (held) {
      this.holdNext = undefined;
      const answer = new Promise((resolve, reject) => {
        this.held.push({
          send: () => {
            (this.send as (...args: unknown[]) => Promise<unknown>)(...query).then(resolve, reject);
          },
          drop: () => reject(new Error('The transaction ended before this statement was sent')),
        });
      });
      held();
      return answer;
    }
    return this.corked(() => {
      this.begun ??= this.sendAlone('BEGIN');
      this.sendHeld();
      const answer = (this.send as (...args: unknown[]) => unknown)(...query);
      if (this.commitWithNextStatement) this.committed = this.sendAlone('COMMIT');
      return answer;
    });
  }

  /** Writes the statements held back, after BEGIN if it is not sent yet, without anything else. */
  sendHeldNow(): void {
    if (this.held.length === 0) return;
    this.corked(() => {
      this.begun ??= this.sendAlone('BEGIN');
      this.sendHeld();
    });
  }

  private sendHeld(): void {
    for (const statement of this.held.splice(0)) statement.send();
  }

  /**
   * pg corks the socket for each query's own messages; the cork is counted, so this one holds
   * everything `write` sends (a piggybacked BEGIN, held statements, COMMIT) in one write.
   */
  private corked<T>(write: () => T): T {
    const socket = (this.client as unknown as ClientWithSocket).connection.stream;
    socket.cork();
    try {
      return write();
    } finally {
      socket.uncork();
    }
  }
}

interface HeldStatement {
  send(): void;
  drop(): void;
}

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
  private pending: Promise<Transaction> | undefined;
  /** Set when a statement failed and its transaction was rolled back: nothing is left to commit. */
  private rolledBack = false;
  private closed = false;

  constructor(private readonly dataSource: DataSource) {}

  /** The unit the running request shares, if it has one. */
  static current(): UnitOfWork | undefined {
    return current.getStore();
  }

  /**
   * Runs `work`, and everything it starts, outside any unit: for what outlives the request
   * that began it (a timer, a write kept for later), which must never join its closed unit.
   */
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
  async join<T>(work: (manager: EntityManager) => Promise<T>): Promise<T> {
    const transaction = await this.pendingTransaction();
    try {
      const result = await work(transaction.runner.manager);
      await transaction.ensureBegun();
      return result;
    } catch (error) {
      await this.rollback().catch(() => undefined);
      this.rolledBack = true;
      throw error;
    }
  }

  /**
   * Runs `work`, which sends one statement, as the last of the pending transaction (beginning
   * one when none is pending), and commits it: COMMIT goes with the statement. Any statement
   * `work` sends after it is refused, never run outside the transaction.
   */
  async joinAndCommit<T>(work: (manager: EntityManager) => Promise<T>): Promise<T> {
    const transaction = await this.pendingTransaction();
    this.pending = undefined;
    transaction.commitAfterNextStatement();
    let result: T;
    try {
      result = await work(transaction.runner.manager);
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

  /**
   * Runs `work`, which sends one statement, without waiting for the statement's answer: it is
   * written with the transaction's next statement or with its COMMIT, in the same write, so it
   * costs no round trip of its own. Resolves once the statement is held. Its answer is nobody's
   * to wait for; its failure is the transaction's (PostgreSQL refuses every statement after it
   * and answers COMMIT with ROLLBACK, so `commit` rejects), and nothing commits without it.
   */
  async joinWithoutAnswer(work: (manager: EntityManager) => Promise<unknown>): Promise<void> {
    await this.joinHeld(work);
  }

  /**
   * Like `joinWithoutAnswer`, for a statement whose answer is wanted, only not yet: it is written
   * with the transaction's next statement (or by `sendHeld`), and `answer` settles then. Until
   * it does, what joins the transaction after it stands or falls with it.
   */
  async joinHeld<T>(work: (manager: EntityManager) => Promise<T>): Promise<{ answer: Promise<T> }> {
    const transaction = await this.pendingTransaction();
    const held = transaction.holdNextStatement();
    const answer = work(transaction.runner.manager);
    answer.catch(() => undefined);
    // `work` fails before sending anything only when it cannot reach its connection.
    await Promise.race([held, answer]);
    return { answer };
  }

  /** Writes the statements held back in the pending transaction now, if there are any. */
  async sendHeld(): Promise<void> {
    const transaction = await this.pending?.catch(() => undefined);
    transaction?.sendHeldNow();
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
    await this.commitAndRelease(await pending);
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

  /**
   * Ends the unit: anything still pending is rolled back, and nothing may join any more. Never
   * rejects: a rollback that fails (the connection is gone) has nothing left to undo.
   */
  async close(): Promise<void> {
    this.closed = true;
    await this.rollback().catch(() => undefined);
  }

  private pendingTransaction(): Promise<Transaction> {
    if (this.closed) throw new Error('This unit of work is closed');
    if (!this.pending) {
      this.pending = Transaction.open(this.dataSource);
      this.rolledBack = false;
    }
    return this.pending;
  }

  private async commitAndRelease(transaction: Transaction): Promise<void> {
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

/**
 * Runs the last write of the request's pending transaction, one statement, and commits the
 * transaction with it (see `UnitOfWork.joinAndCommit`); on `manager` as it is outside a unit.
 */
export function writeLastInUnitOfWork<T>(
  manager: EntityManager,
  work: (manager: EntityManager) => Promise<T>,
): Promise<T> {
  const unit = UnitOfWork.current();
  return unit ? unit.joinAndCommit(work) : work(manager);
}

/** Commits what the request's unit of work holds so far; nothing to do outside one. */
export async function commitUnitOfWork(): Promise<void> {
  await UnitOfWork.current()?.commit();
}
