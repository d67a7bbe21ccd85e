import { Global, Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { AppConfig } from '../config/app-config';
import { dataSourceOptions } from './data-source-options';
import { ensureDatabase } from './ensure-database';
import { runMigrationsExclusively } from './run-migrations';
import { TransactionRunner } from './transaction-runner';

/** The connection to PostgreSQL, and `TransactionRunner` for every module. */
@Global()
@Module({
  imports: [
    TypeOrmModule.forRootAsync({
      inject: [AppConfig],
      useFactory: async (config: AppConfig) => {
        const options = dataSourceOptions(config.databaseUrl, config.databaseQueryTimeoutMs);
        await ensureDatabase(config.databaseUrl);
        if (config.migrationsRun) await runMigrationsExclusively(options);
        return { ...options, migrationsRun: false, retryAttempts: 5, retryDelay: 2000 };
      },
    }),
  ],
  providers: [TransactionRunner],
  exports: [TransactionRunner],
})
export class DatabaseModule {}
