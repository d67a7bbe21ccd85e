import { randomUUID } from 'node:crypto';
import type { PoolClient } from 'pg';
import { DataSource, EntityManager } from 'typeorm';
import { UnitOfWork } from '../../src/database/unit-of-work';
import { createMediumModule, MediumModule } from './support/medium-module';

/** The socket a pooled client writes to (pg's `Client.connection.stream`). */
type ClientSocket = { _writev?: unknown; _write: unknown };

describe(UnitOfWork.name, () => {
  let medium: MediumModule;
  let dataSource: DataSource;

  beforeAll(async () => {
    medium = await createMediumModule([]);
    dataSource = medium.dataSource;
    await dataSource.query('CREATE TABLE IF NOT EXISTS unit_of_work_probe (id uuid PRIMARY KEY)');
  });
  afterAll(() => medium.close());

  const insert = (manager: EntityManager, id: string) =>
    manager.query('INSERT INTO unit_of_work_probe (id) VALUES ($1)', [id]);
  const stored = async (...ids: string[]): Promise<string[]> => {
    const rows: Array<{ id: string }> = await dataSource.query(
      'SELECT id FROM unit_of_work_probe WHERE id = ANY($1) ORDER BY id',
      [ids],
    );
    return rows.map((row) => row.id);
  };

  /** Counts the socket writes of the unit's connection while `work` runs. */
  const writesOf = async (unit: UnitOfWork, work: () => Promise<unknown>): Promise<number> => {
    const socket = await unit.join(async (manager) => {
      const client = (await manager.queryRunner!.connect()) as PoolClient;
      return (client as unknown as { connection: { stream: ClientSocket } }).connection.stream;
    });
    const writes = [jest.spyOn(socket, '_write' as never), jest.spyOn(socket, '_writev' as never)];
    try {
      await work();
      return writes.reduce((sum, spy) => sum + spy.mock.calls.length, 0);
    } finally {
      writes.forEach((spy) => spy.mockRestore());
    }
  };

  it('keeps what joined invisible until the last statement commits, and commits it', async () => {
    const [first, last] = [randomUUID(), randomUUID()];
    const unit = new UnitOfWork(dataSource);
    await unit.join((manager) => insert(manager, first));
    expect(await stored(first)).toEqual([]);

    await unit.commit((manager) => insert(manager, last));

    expect(await stored(first, last)).toEqual([first, last].sort());
    expect(unit.hasPending).toBe(false);
  });

  it('writes BEGIN with the first statement, and COMMIT with the last, in one write each', async () => {
    const unit = new UnitOfWork(dataSource);
    // The probe only takes the unit's connection; the two statements are all that is written.
    const writes = await writesOf(unit, async () => {
      await unit.join((manager) => insert(manager, randomUUID()));
      await unit.commit((manager) => insert(manager, randomUUID()));
    });
    expect(writes).toBe(2);
  });

  it('commits nothing when the last statement fails', async () => {
    const [first, duplicate] = [randomUUID(), randomUUID()];
    await dataSource.query('INSERT INTO unit_of_work_probe (id) VALUES ($1)', [duplicate]);
    const unit = new UnitOfWork(dataSource);
    await unit.join((manager) => insert(manager, first));

    await expect(unit.commit((manager) => insert(manager, duplicate))).rejects.toThrow(/duplicate key/);

    expect(await stored(first)).toEqual([]);
    await expect(unit.commit()).rejects.toThrow(/rolled back/);
  });

  it('refuses a statement sent after the last one, rather than run it outside the transaction', async () => {
    const [last, after] = [randomUUID(), randomUUID()];
    const unit = new UnitOfWork(dataSource);

    const twoStatements = unit.commit(async (manager) => {
      await insert(manager, last);
      await insert(manager, after);
    });

    await expect(twoStatements).rejects.toThrow(/nothing more may join/);
    expect(await stored(after)).toEqual([]);
  });

  it('lets TypeORM nest its own transaction in the unit’s as a savepoint', async () => {
    const id = randomUUID();
    const unit = new UnitOfWork(dataSource);
    await unit.join((manager) => manager.transaction((nested) => insert(nested, id)));
    expect(await stored(id)).toEqual([]);

    await unit.rollback();

    expect(await stored(id)).toEqual([]);
  });

  it('rolls back what joined when the unit closes', async () => {
    const id = randomUUID();
    const unit = new UnitOfWork(dataSource);
    await unit.join((manager) => insert(manager, id));

    await unit.close();

    expect(await stored(id)).toEqual([]);
    await expect(unit.join((manager) => insert(manager, randomUUID()))).rejects.toThrow(/closed/);
  });

  describe('a deferred statement', () => {
    it('is written with the next statement, BEGIN and COMMIT, all in one write, and commits with them', async () => {
      const [deferred, last] = [randomUUID(), randomUUID()];
      const unit = new UnitOfWork(dataSource);
      const writes = await writesOf(unit, async () => {
        await unit.defer((manager) => insert(manager, deferred));
        expect(await stored(deferred)).toEqual([]);
        await unit.commit((manager) => insert(manager, last));
      });
      expect(writes).toBe(1);
      expect(await stored(deferred, last)).toEqual([deferred, last].sort());
    });

    it('is written with COMMIT when nothing follows it', async () => {
      const deferred = randomUUID();
      const unit = new UnitOfWork(dataSource);
      const writes = await writesOf(unit, async () => {
        await unit.defer((manager) => insert(manager, deferred));
        await unit.commit();
      });
      expect(writes).toBe(1);
      expect(await stored(deferred)).toEqual([deferred]);
    });

    it('lets nothing after it commit when it fails', async () => {
      const [duplicate, last] = [randomUUID(), randomUUID()];
      await dataSource.query('INSERT INTO unit_of_work_probe (id) VALUES ($1)', [duplicate]);
      const unit = new UnitOfWork(dataSource);
      await unit.defer((manager) => insert(manager, duplicate));

      await expect(unit.commit((manager) => insert(manager, last))).rejects.toThrow(/aborted/);

      expect(await stored(last)).toEqual([]);
    });

    it('is never sent when the unit closes first', async () => {
      const deferred = randomUUID();
      const unit = new UnitOfWork(dataSource);
      const writes = await writesOf(unit, async () => {
        await unit.defer((manager) => insert(manager, deferred));
        await unit.close();
      });
      expect(writes).toBe(0);
      expect(await stored(deferred)).toEqual([]);
    });
  });

  describe('a deferred statement whose answer is wanted', () => {
    const insertReturning = (manager: EntityManager, id: string) =>
      manager.query<Array<{ id: string }>>('INSERT INTO unit_of_work_probe (id) VALUES ($1) RETURNING id', [
        id,
      ]);

    it('is answered once written with the next statement, in one write with it, BEGIN and COMMIT', async () => {
      const [deferred, last] = [randomUUID(), randomUUID()];
      const unit = new UnitOfWork(dataSource);
      let answer: Promise<Array<{ id: string }>> | undefined;
      const writes = await writesOf(unit, async () => {
        ({ answer } = await unit.defer((manager) => insertReturning(manager, deferred)));
        await unit.commit((manager) => insert(manager, last));
      });
      expect(writes).toBe(1);
      expect(await answer).toEqual([{ id: deferred }]);
      expect(await stored(deferred, last)).toEqual([deferred, last].sort());
    });

    it('is written alone by flush, and answered', async () => {
      const deferred = randomUUID();
      const unit = new UnitOfWork(dataSource);
      let answer: Promise<Array<{ id: string }>> | undefined;
      const writes = await writesOf(unit, async () => {
        ({ answer } = await unit.defer((manager) => insertReturning(manager, deferred)));
        await unit.flush();
        expect(await answer).toEqual([{ id: deferred }]);
      });
      expect(writes).toBe(1);
      await unit.commit();
      expect(await stored(deferred)).toEqual([deferred]);
    });

    it('fails alone with its own error, and lets nothing after it commit', async () => {
      const [duplicate, last] = [randomUUID(), randomUUID()];
      await dataSource.query('INSERT INTO unit_of_work_probe (id) VALUES ($1)', [duplicate]);
      const unit = new UnitOfWork(dataSource);
      const { answer } = await unit.defer((manager) => insertReturning(manager, duplicate));

      await expect(unit.commit((manager) => insert(manager, last))).rejects.toThrow(/aborted/);

      await expect(answer).rejects.toThrow(/duplicate key/);
      expect(await stored(last)).toEqual([]);
    });
  });
});
