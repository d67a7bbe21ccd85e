/*
 * The one file that touches library internals, checked against pg 8.23.1, pg-pool 3.14.0 and
 * typeorm 1.1.1 (`CHECKED_AGAINST`). test/medium/pipelined-transaction.medium-spec.ts fails,
 * naming the internal, when an upgrade removes or changes one:
 * - pg `Client#connection.stream` (untyped), the socket: corked so that BEGIN, deferred
 *   statements, a statement and COMMIT leave in one write (Node counts corks; pg's nest in ours).
 * - pg `Client#query` on a pipelined client (`pipeline: true`): writes the query before it
 *   returns, whatever is unanswered. Shadowed by an own property of the pooled client while the
 *   transaction holds it, so every statement passes through the transaction: TypeORM's
 *   `PostgresQueryRunner#query` looks it up at each call, and pg-pool's clients have no own one.
 * - TypeORM `PostgresQueryRunner#isTransactionActive` and `#transactionDepth` (protected): set
 *   so that `manager.transaction()` inside nests as a SAVEPOINT.
 * - TypeORM `PostgresQueryRunner#releasePostgresConnection(error)` (private): passes the error
 *   to pg-pool's `release(error)`, which destroys the connection; `release()` passes none.
 */
import type { PoolClient, QueryResult } from 'pg';
import type { DataSource, EntityManager, QueryRunner } from 'typeorm';

/** Checked versions of the internals above; the test names them when one fails. */
export const CHECKED_AGAINST = { pg: '8.23.1', 'pg-pool': '3.14.0', typeorm: '1.1.1' } as const;

interface ClientInternals {
  connection: { stream: { cork(): void; uncork(): void } };
}

interface QueryRunnerInternals {
  isTransactionActive: boolean;
  transactionDepth: number;
  releasePostgresConnection(error?: unknown): Promise<void>;
}

interface DeferredStatement {
  send(): void;
  drop(): void;
}

/** Sends BEGIN with the first statement and COMMIT with the last, so neither costs a round trip. */
export class PipelinedTransaction {
  private begun: Promise<QueryResult> | undefined;
  private committed: Promise<QueryResult> | undefined;
  private commitWithNext = false;
  private deferNext: (() => void) | undefined;
  private deferred: DeferredStatement[] = [];
  private readonly send: PoolClient['query'];

  private constructor(
    private readonly runner: QueryRunner,
    private readonly client: PoolClient,
  ) {
    this.send = client.query.bind(client);
    client.query = this.sendInTransaction.bind(this) as PoolClient['query'];
    setTransactionActive(runner, true);
  }

  static async open(dataSource: DataSource): Promise<PipelinedTransaction> {
    const runner = dataSource.createQueryRunner();
    try {
      return new PipelinedTransaction(runner, (await runner.connect()) as PoolClient);
    } catch (error) {
      await runner.release();
      throw error;
    }
  }

  get manager(): EntityManager {
    return this.runner.manager;
  }

  commitWithNextStatement(): void {
    this.commitWithNext = true;
  }

  /** Resolves once the next statement is deferred, to be written with the one after it or with COMMIT. */
  deferNextStatement(): Promise<void> {
    return new Promise((resolve) => {
      this.deferNext = resolve;
    });
  }

  /** If BEGIN failed, a statement written with it ran alone (autocommit): trust no answer before BEGIN's. */
  async ensureBegun(): Promise<void> {
    await this.begun;
  }

  flush(): void {
    if (this.deferred.length === 0) return;
    this.corked(() => {
      this.begun ??= this.sendAlone('BEGIN');
      this.sendDeferred();
    });
  }

  async commit(): Promise<void> {
    if (!this.begun && this.deferred.length === 0) return;
    this.committed ??= this.corked(() => {
      this.begun ??= this.sendAlone('BEGIN');
      this.sendDeferred();
      return this.sendAlone('COMMIT');
    });
    await this.ensureBegun();
    const { command } = await this.committed;
    // PostgreSQL answers COMMIT with ROLLBACK when a statement of the transaction failed.
    if (command !== 'COMMIT') throw new Error('The transaction failed; it was rolled back');
  }

  /** Rolls back; returns the failure that makes the connection unfit for reuse, if any. */
  async abort(): Promise<unknown> {
    for (const statement of this.deferred.splice(0)) statement.drop();
    try {
      if (this.committed) await this.committed;
      else if (this.begun) await this.sendAlone('ROLLBACK');
      await this.ensureBegun();
      return undefined;
    } catch (error) {
      return error;
    }
  }

  /** Destroys the connection when a failure may have left it in any state. */
  async release(failure?: unknown): Promise<void> {
    delete (this.client as Partial<PoolClient>).query;
    setTransactionActive(this.runner, false);
    if (failure === undefined) return this.runner.release();
    return (this.runner as unknown as QueryRunnerInternals).releasePostgresConnection(failure);
  }

  /** Awaited only after the statement's answer; until then its failure must not count as unhandled. */
  private sendAlone(sql: string): Promise<QueryResult> {
    const answer = this.send(sql);
    answer.catch(() => undefined);
    return answer;
  }

  private sendInTransaction(...query: Parameters<PoolClient['query']>): unknown {
    if (this.committed) {
      return Promise.reject(new Error('The transaction is committed; nothing more may join it'));
    }
    const deferred = this.deferNext;
    if (deferred) {
      this.deferNext = undefined;
      const answer = new Promise((resolve, reject) => {
        this.deferred.push({
          send: () => {
            (this.send as (...args: unknown[]) => Promise<unknown>)(...query).then(resolve, reject);
          },
          drop: () => reject(new Error('The transaction ended before this statement was sent')),
        });
      });
      deferred();
      return answer;
    }
    return this.corked(() => {
      this.begun ??= this.sendAlone('BEGIN');
      this.sendDeferred();
      const answer = (this.send as (...args: unknown[]) => unknown)(...query);
      if (this.commitWithNext) this.committed = this.sendAlone('COMMIT');
      return answer;
    });
  }

  private sendDeferred(): void {
    for (const statement of this.deferred.splice(0)) statement.send();
  }

  private corked<T>(write: () => T): T {
    const socket = (this.client as unknown as ClientInternals).connection.stream;
    socket.cork();
    try {
      return write();
    } finally {
      socket.uncork();
    }
  }
}

function setTransactionActive(runner: QueryRunner, active: boolean): void {
  Object.assign(runner as unknown as QueryRunnerInternals, {
    isTransactionActive: active,
    transactionDepth: active ? 1 : 0,
  });
}
