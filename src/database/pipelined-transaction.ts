/*
 * The one file that touches library internals. Checked against pg 8.23.1, pg-pool 3.14.0 and
 * typeorm 1.1.1 (`CHECKED_AGAINST`); test/medium/pipelined-transaction.medium-spec.ts fails,
 * naming the internal, when an upgrade removes or changes one of them:
 *
 * - pg `Client#connection.stream`, the client's socket (not in pg's typings): corked so that
 *   BEGIN, deferred statements, a statement and COMMIT leave in one write. pg corks it for each
 *   query as well; Node counts corks, so ours holds across pg's.
 * - pg `Client#query` on a pipelined client (`pipeline: true`, see `dataSourceOptions`): writes
 *   the query before it returns, without waiting for the answers before it. An own property
 *   shadows it on the pooled client while the transaction holds it, so that every statement on
 *   the connection passes through the transaction; TypeORM's `PostgresQueryRunner#query` looks
 *   `query` up on the client at each call. Deleting the property restores pg's.
 * - TypeORM `PostgresQueryRunner#isTransactionActive` and `#transactionDepth` (protected): set
 *   so that a `manager.transaction()` inside nests as a SAVEPOINT instead of beginning again.
 * - TypeORM `PostgresQueryRunner#releasePostgresConnection(error)` (private): hands the error to
 *   pg-pool's `release(error)`, which destroys the connection instead of pooling it; the public
 *   `release()` passes none.
 */
import type { PoolClient, QueryResult } from 'pg';
import type { DataSource, EntityManager, QueryRunner } from 'typeorm';

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

/**
 * A transaction on a pooled connection in pipeline mode: BEGIN goes with its first statement and
 * COMMIT, once the last statement is known, with that one, so neither costs a round trip.
 */
export class PipelinedTransaction {
  private begun: Promise<QueryResult> | undefined;
  /** Nothing may follow COMMIT on this connection. */
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

  /** Resolves once the next statement sent is deferred: written with the one after it, or with COMMIT. */
  deferNextStatement(): Promise<void> {
    return new Promise((resolve) => {
      this.deferNext = resolve;
    });
  }

  /**
   * Rejects when BEGIN failed. A statement written with a failed BEGIN ran alone (autocommit),
   * so no answer of the transaction is trusted before BEGIN's.
   */
  async ensureBegun(): Promise<void> {
    await this.begun;
  }

  /** Writes the deferred statements now, after BEGIN if it is not sent yet. */
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

  /**
   * Ends the transaction without making its work durable. Answers the failure that makes the
   * connection unfit for reuse, if any, for `release`.
   */
  async abort(): Promise<unknown> {
    for (const statement of this.deferred.splice(0)) statement.drop();
    try {
      // COMMIT sent with a statement that failed is answered with ROLLBACK: nothing to send.
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
    setTransactionActive(this.runner, false);
    if (failure === undefined) return this.runner.release();
    return (this.runner as unknown as QueryRunnerInternals).releasePostgresConnection(failure);
  }

  /** Its answer is awaited only after the statement's, so its failure must not count as unhandled meanwhile. */
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
