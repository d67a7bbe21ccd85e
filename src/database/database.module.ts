import { DynamicModule, Global, Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { AppConfig } from '../config/app-config';
import { dataSourceOptions, EntityClass } from './data-source-options';
import { ensureDatabase } from './ensure-database';
import { runMigrationsExclusively } from './run-migrations';
import { TransactionRunner } from './transaction-runner';

@Global()
@Module({})
export class DatabaseModule {
  static forRoot(entities: readonly EntityClass[]): DynamicModule {
    return {
      module: DatabaseModule,
      imports: [
        TypeOrmModule.forRootAsync({
          inject: [AppConfig],
          useFactory: async (config: AppConfig) => {
            const options = dataSourceOptions(config.databaseUrl, config.databaseQueryTimeoutMs, entities);
            await ensureDatabase(config.databaseUrl);
            if (config.migrationsRun) await runMigrationsExclusively(options);
            return { ...options, migrationsRun: false, retryAttempts: 5, retryDelay: 2000 };
          },
        }),
      ],
      providers: [TransactionRunner],
      exports: [TransactionRunner],
    };
  }
}
