import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import { UnitOfWork } from './unit-of-work';

/**
 * Repositories take the transaction's manager as an argument. Services inject this, never the `DataSource`.
 */
@Injectable()
export class TransactionRunner {
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

  /** Runs `callback` once `manager`'s transaction commits; never if it rolls back. */
  afterCommit(manager: EntityManager, callback: () => void): void {
    const waiting = this.committed.get(manager);
    if (waiting) return void waiting.push(callback);
    const unit = UnitOfWork.current();
    // In a request, any manager but the plain one belongs to the unit's transaction.
    if (unit && manager !== this.dataSource.manager) return unit.afterCommit(callback);
    callback();
  }

  unitOfWork(): UnitOfWork {
    return new UnitOfWork(this.dataSource);
  }
}
