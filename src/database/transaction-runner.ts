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
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  run<T>(work: (transaction: EntityManager) => Promise<T>): Promise<T> {
    return this.dataSource.transaction(work);
  }

  /** A unit of work for one request, whose transactions span code that does not know about each other. */
  unitOfWork(): UnitOfWork {
    return new UnitOfWork(this.dataSource);
  }
}
