import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { Client, PoolClient } from 'pg';
import { DataSource } from 'typeorm';
import { CHECKED_AGAINST, PipelinedTransaction } from '../../src/database/pipelined-transaction';
import { createMediumModule, MediumModule } from './support/medium-module';

type Library = keyof typeof CHECKED_AGAINST;

/** The installed version of `library` (pg-pool as pg resolves it); their `exports` hide package.json. */
function installedVersion(library: Library): string {
  const from = library === 'pg-pool' ? [dirname(require.resolve('pg'))] : undefined;
  for (let dir = dirname(require.resolve(library, { paths: from })); ; dir = dirname(dir)) {
    try {
      const manifest = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as {
        name?: string;
        version: string;
      };
      if (manifest.name === library) return manifest.version;
    } catch {
      // No package.json at this level: look further up.
    }
    if (dir === dirname(dir)) throw new Error(`${library}: package.json not found`);
  }
}

/** Fails naming the internal, the installed version and the one the transaction was checked against. */
function expectInternal(library: Library, internal: string, holds: boolean, expected: string): void {
  if (holds) return;
  throw new Error(
    `${library} ${installedVersion(library)}: ${internal} no longer ${expected}. ` +
      `src/database/pipelined-transaction.ts relies on it (checked against ${library} ${CHECKED_AGAINST[library]}).`,
  );
}

type ClientInternals = { connection?: { stream?: { cork?: unknown; uncork?: unknown; write: unknown } } };

/**
 * Each library internal that `PipelinedTransaction` touches, checked on the real pg client and
 * TypeORM query runner, so that an upgrade that removes or changes one fails here by name.
 */
describe(PipelinedTransaction.name, () => {
  let medium: MediumModule;
  let dataSource: DataSource;

  beforeAll(async () => {
    medium = await createMediumModule([]);
    dataSource = medium.dataSource;
  });
  afterAll(() => medium.close());

  /** Runs `work` with a pooled client of the service's own pool, released after. */
  const withClient = async <T>(work: (client: PoolClient) => Promise<T>): Promise<T> => {
    const runner = dataSource.createQueryRunner();
    try {
      return await work((await runner.connect()) as PoolClient);
    } finally {
      await runner.release();
    }
  };

  /** The texts of the statements pg's `Client#query` is asked to run while `work` runs. */
  const statementsOf = async (work: () => Promise<unknown>): Promise<string[]> => {
    const texts: string[] = [];
    const original = Client.prototype.query as (...args: unknown[]) => unknown;
    const spy = jest.spyOn(Client.prototype, 'query').mockImplementation(function (
      this: Client,
      ...args: unknown[]
    ) {
      const [query] = args;
      texts.push(typeof query === 'string' ? query : ((query as { text?: string }).text ?? ''));
      return original.apply(this, args);
    });
    try {
      await work();
      return texts;
    } finally {
      spy.mockRestore();
    }
  };

  it('pg Client#connection.stream: the socket, with cork() and uncork()', async () => {
    await withClient((client) => {
      const stream = (client as unknown as ClientInternals).connection?.stream;
      expectInternal('pg', 'Client#connection.stream', stream !== undefined, 'holds the socket');
      expectInternal(
        'pg',
        'Client#connection.stream',
        typeof stream?.cork === 'function' && typeof stream.uncork === 'function',
        'has cork() and uncork()',
      );
      return Promise.resolve();
    });
  });

  it('pg Client#query on a pipelined client: writes the query before it returns, even while another is unanswered', async () => {
    await withClient(async (client) => {
      expectInternal('pg', 'the pool option `pipeline`', client.pipeline, 'makes a pipelined client');
      const stream = (client as unknown as ClientInternals).connection!.stream!;
      const writes = jest.spyOn(stream as { write: () => boolean }, 'write');
      try {
        const slow = client.query('SELECT pg_sleep(0.2)');
        const written = writes.mock.calls.length;
        const next = client.query('SELECT 1 AS one');
        expectInternal(
          'pg',
          'Client#query',
          written > 0 && writes.mock.calls.length > written,
          'writes a query to the socket before it returns, whatever is still unanswered',
        );
        await Promise.all([slow, next]);
      } finally {
        writes.mockRestore();
      }
    });
  });

  it('pg-pool clients and TypeORM PostgresQueryRunner#query: `query` is looked up on the client at each call, and is not an own property', async () => {
    const runner = dataSource.createQueryRunner();
    try {
      const client = (await runner.connect()) as PoolClient;
      expectInternal(
        'pg-pool',
        'a pooled client',
        !Object.prototype.hasOwnProperty.call(client, 'query'),
        'has no own `query` property (deleting the transaction’s must restore pg’s)',
      );
      const seen: unknown[] = [];
      const pgQuery = client.query.bind(client);
      client.query = ((...args: unknown[]) => {
        seen.push(args[0]);
        return (pgQuery as (...args: unknown[]) => unknown)(...args);
      }) as PoolClient['query'];
      try {
        await runner.query('SELECT 1');
      } finally {
        delete (client as Partial<PoolClient>).query;
      }
      expectInternal(
        'typeorm',
        'PostgresQueryRunner#query',
        seen.includes('SELECT 1'),
        'calls `query` as found on the pg client at the time',
      );
    } finally {
      await runner.release();
    }
  });

  it('TypeORM PostgresQueryRunner#isTransactionActive and #transactionDepth: set, they make manager.transaction() a SAVEPOINT', async () => {
    const fresh = dataSource.createQueryRunner() as unknown as Record<string, unknown>;
    expectInternal(
      'typeorm',
      'PostgresQueryRunner#isTransactionActive and #transactionDepth',
      fresh.isTransactionActive === false && fresh.transactionDepth === 0,
      'are fields (false and 0 on a new query runner)',
    );
    let transaction: PipelinedTransaction | undefined;
    let failure: unknown;
    try {
      // Opened and ended while pg's `query` is watched: the transaction sends through the one it finds.
      const statements = await statementsOf(async () => {
        transaction = await PipelinedTransaction.open(dataSource);
        await transaction.manager.transaction((nested) => nested.query('SELECT 1'));
        await transaction.commit();
      });
      expectInternal(
        'typeorm',
        'PostgresQueryRunner#isTransactionActive and #transactionDepth',
        statements.includes('SAVEPOINT typeorm_1') &&
          !statements.some((text) => /^START TRANSACTION/i.test(text)) &&
          statements.filter((text) => text === 'BEGIN').length === 1,
        `make a nested manager.transaction() a SAVEPOINT (it sent ${JSON.stringify(statements)})`,
      );
    } catch (error) {
      failure = error;
      throw error;
    } finally {
      await transaction?.release(failure);
    }
  });

  it('TypeORM PostgresQueryRunner#releasePostgresConnection(error): pg-pool destroys the connection', async () => {
    const transaction = await PipelinedTransaction.open(dataSource);
    const client = (await transaction.manager.queryRunner!.connect()) as PoolClient;
    expectInternal(
      'typeorm',
      'PostgresQueryRunner#releasePostgresConnection',
      typeof (transaction.manager.queryRunner as unknown as Record<string, unknown>)
        .releasePostgresConnection === 'function',
      'is a method',
    );
    const ended = once(client, 'end');
    await transaction.release(new Error('left in an unknown state'));
    let timer: NodeJS.Timeout | undefined;
    const destroyed = await Promise.race([
      ended.then(() => true),
      new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), 2000))),
    ]);
    clearTimeout(timer);
    expectInternal(
      'pg-pool',
      'release(error), as TypeORM’s releasePostgresConnection(error) calls it,',
      destroyed,
      'ends the connection instead of pooling it',
    );
  });
});
