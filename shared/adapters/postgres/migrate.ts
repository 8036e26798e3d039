import { createHash } from 'node:crypto';
import type pg from 'pg';
import { ADVISORY_LOCKS, lockKeys } from '../../core/contracts/advisory-locks.ts';
import { MIGRATIONS, type Migration } from './migrations/index.ts';

/** Held for a whole run, so concurrent runs (deploys, test files) take turns. */
const MIGRATION_LOCK = lockKeys(ADVISORY_LOCKS.migrations);

export interface MigrateOptions {
  log?: (message: string) => void;
  /** The migrations to apply; all of the project's by default. */
  migrations?: readonly Migration[];
}

export function migrationChecksum(migration: Migration): string {
  return createHash('sha256').update(migration.sql).digest('hex');
}

/**
 * Applies the pending migrations in order, each in its own transaction, recording them in schema_migrations.
 * Refuses to run when a migration that was already applied has been edited since.
 */
export async function migrate(pool: pg.Pool, options: MigrateOptions = {}): Promise<{ applied: string[] }> {
  const { log = () => undefined, migrations = MIGRATIONS } = options;
  const client = await pool.connect();
  try {
    await client.query('SELECT pg_advisory_lock($1, $2)', MIGRATION_LOCK);
    const applied = await applyPending(client, migrations, log);
    await client.query('SELECT pg_advisory_unlock($1, $2)', MIGRATION_LOCK);
    client.release();
    return { applied };
  } catch (error) {
    // Discarding the connection ends its session, which also frees the advisory lock.
    client.release(true);
    throw error;
  }
}

async function applyPending(
  client: pg.PoolClient,
  migrations: readonly Migration[],
  log: (message: string) => void,
): Promise<string[]> {
  await client.query(`
    CREATE TABLE IF NOT EXISTS schema_migrations (
      name       text PRIMARY KEY,
      checksum   text NOT NULL,
      applied_at timestamptz NOT NULL DEFAULT now()
    )`);
  const { rows } = await client.query<{ name: string; checksum: string }>(
    'SELECT name, checksum FROM schema_migrations',
  );
  const appliedChecksums = new Map(rows.map((row) => [row.name, row.checksum]));
  for (const migration of migrations) {
    const recorded = appliedChecksums.get(migration.name);
    if (recorded !== undefined && recorded !== migrationChecksum(migration)) {
      throw new Error(
        `migration ${migration.name} was changed after it was applied (checksum ${recorded} in schema_migrations); ` +
          'add a new migration instead of editing a shipped one',
      );
    }
  }
  const applied: string[] = [];
  for (const migration of migrations.filter((m) => !appliedChecksums.has(m.name))) {
    log(`applying migration ${migration.name}`);
    await inTransaction(client, async () => {
      await client.query(migration.sql);
      await client.query('INSERT INTO schema_migrations (name, checksum) VALUES ($1, $2)', [
        migration.name,
        migrationChecksum(migration),
      ]);
    }).catch((error: Error) => {
      throw new Error(`migration ${migration.name} failed: ${error.message}`, { cause: error });
    });
    applied.push(migration.name);
  }
  return applied;
}

async function inTransaction(client: pg.PoolClient, work: () => Promise<void>): Promise<void> {
  await client.query('BEGIN');
  try {
    await work();
    await client.query('COMMIT');
  } catch (error) {
    await client.query('ROLLBACK');
    throw error;
  }
}
