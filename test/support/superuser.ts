import pg from 'pg';
import { inject } from 'vitest';
import { databaseUrl } from '../../bench/scratch-database.ts';

/**
 * A superuser's session on one test database: the attacker of the tampering suite (test/tamper), who can turn off
 * every trigger (`SET session_replication_role = replica`) and write any table. CI's PostgreSQL superuser, or the
 * embedded server's when DATABASE_URL is unset. Nothing of the application ever connects with it.
 */
export function superuserPool(database: string): pg.Pool {
  const pool = new pg.Pool({ connectionString: databaseUrl(inject('adminServerUrl'), database), max: 1 });
  // An idle session ended by the test database's DROP … WITH (FORCE) is expected, not a failure of the run.
  pool.on('error', () => undefined);
  return pool;
}

/** Runs `work` as the superuser with every trigger off (the append-only ones included), in one transaction. */
export async function asSuperuser<T>(pool: pg.Pool, work: (client: pg.PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    await client.query('SET LOCAL session_replication_role = replica');
    const result = await work(client);
    await client.query('COMMIT');
    return result;
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  } finally {
    client.release();
  }
}
