import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import { UnitOfWork } from './unit-of-work';

/**
 * Runs work in one database transaction and hands it the transaction's manager, which the
 * repositories the work calls take as an argument (as Vendure's `TransactionalConnection` takes
 * the request's context): a transaction is visible wherever it is used. Services inject this,
 * never the `DataSource`.
 */
@Injectable()
export class TransactionRunner {
  /** What waits for each running transaction of `run` to commit, by its manager. */
  private readonly committed = new WeakMap<EntityManager, Array<() => void>>();

  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  async run<T>(work: (transaction: EntityManager) => Promise<T>): Promise<T> {
    let callbacks: Array<() => void> = [];
    const result = await this.dataSource.transaction((transaction) => {
      callbacks = [];
      this.committed.set(transaction, callbacks);
      return work(transaction);
    });
    callbacks.forEach((callback) => callback());
    return result;
  }

  /**
   * Runs `callback` once the transaction `manager` belongs to has committed: a transaction of
   * `run`, the request's unit of work, or none (a statement on its own has committed already).
   * Never if the transaction is rolled back.
   */
  afterCommit(manager: EntityManager, callback: () => void): void {
    const waiting = this.committed.get(manager);
    if (waiting) return void waiting.push(callback);
    const unit = UnitOfWork.current();
    // In a request, any manager but the plain one is the unit's transaction (pending, or being
    // committed with its last statement).
    if (unit && manager !== this.dataSource.manager) return unit.afterCommit(callback);
    callback();
  }

  /** A unit of work for one request, whose transactions span code that does not know about each other. */
  unitOfWork(): UnitOfWork {
    return new UnitOfWork(this.dataSource);
  }
}
