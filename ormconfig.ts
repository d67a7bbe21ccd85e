import 'reflect-metadata';
import { DataSource } from 'typeorm';
import { loadAppConfig } from './src/config/app-config';
import { dataSourceOptions } from './src/database/data-source-options';

/** The TypeORM CLI's data source: `npm run migration:run|revert|generate`. */
export default new DataSource(dataSourceOptions(loadAppConfig(process.env).databaseUrl));
