import type { ObjectLiteral, Repository } from 'typeorm';

/** An entity from a raw `RETURNING *` row, converted as TypeORM converts the rows it selects. */
export function hydrate<T extends ObjectLiteral>(repository: Repository<T>, raw: ObjectLiteral): T {
  const entity = repository.create();
  const driver = repository.manager.dataSource.driver;
  for (const column of repository.metadata.columns) {
    column.setEntityValue(entity, driver.prepareHydratedValue(raw[column.databaseName], column));
  }
  return entity;
}
