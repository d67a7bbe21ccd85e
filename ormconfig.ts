import 'reflect-metadata';
import { DataSource } from 'typeorm';
import { loadDatabaseConfig } from './src/config/app-config';
import { dataSourceOptions } from './src/database/data-source-options';
import { ENTITIES } from './src/entities';

/** The TypeORM CLI's data source: `npm run migration:run|revert|generate`. */
const config = loadDatabaseConfig(process.env);
export default new DataSource(dataSourceOptions(config.databaseUrl, config.databaseQueryTimeoutMs, ENTITIES));
