import { migrate } from '../../adapters/postgres/migrate.ts';
import { createPool, databaseOptionsFromEnv } from '../../adapters/postgres/pool.ts';

/** `trail migrate`: applies pending migrations to the configured database. */
export async function runMigrate(): Promise<number> {
  const pool = createPool({ ...databaseOptionsFromEnv(), max: 1 });
  try {
    const { applied } = await migrate(pool);
    console.log(applied.length ? `applied: ${applied.join(', ')}` : 'schema up to date');
    return 0;
  } finally {
    await pool.end();
  }
}
