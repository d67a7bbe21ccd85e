import 'reflect-metadata';
import { DataSource } from 'typeorm';
import { loadAppConfig } from './src/config/app-config';
import { dataSourceOptions } from './src/database/data-source-options';

/** The TypeORM CLI's data source: `npm run migration:run|revert|generate`. */
const config = loadAppConfig(process.env);
export default new DataSource(dataSourceOptions(config.databaseUrl, config.databaseQueryTimeoutMs));
