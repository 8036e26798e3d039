import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { inject } from 'vitest';
import { migrate } from '../../shared/store/migrate.ts';
import { createPool } from '../../shared/store/pool.ts';

export interface TestDatabase {
  name: string;
  /** Connects as the server's superuser, who owns the schema. */
  url: string;
  pool: pg.Pool;
  drop(): Promise<void>;
}

/** A fresh database for one test file (`t_<label>_<random>`), migrated unless asked not to be. */
export async function createTestDatabase(label: string, options: { migrated?: boolean } = {}): Promise<TestDatabase> {
  const adminUrl = inject('adminDatabaseUrl');
  const name = `t_${label
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '_')
    .slice(0, 40)}_${randomBytes(4).toString('hex')}`;
  await withAdmin(adminUrl, (admin) => admin.query(`CREATE DATABASE ${pg.escapeIdentifier(name)}`));
  const url = databaseUrl(adminUrl, name);
  const pool = createPool({ connectionString: url, max: 4, application_name: `test:${label}` });
  if (options.migrated ?? true) await migrate(pool);
  return {
    name,
    url,
    pool,
    async drop() {
      await pool.end();
      // FORCE terminates any session still connected (a test's leftover client) before dropping.
      await withAdmin(adminUrl, (admin) =>
        admin.query(`DROP DATABASE IF EXISTS ${pg.escapeIdentifier(name)} WITH (FORCE)`),
      );
    },
  };
}

/** The same server and credentials, another database. */
export function databaseUrl(serverUrl: string, database: string): string {
  const url = new URL(serverUrl);
  url.pathname = `/${encodeURIComponent(database)}`;
  return url.toString();
}

async function withAdmin<T>(adminUrl: string, work: (admin: pg.Client) => Promise<T>): Promise<T> {
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  try {
    return await work(admin);
  } finally {
    await admin.end();
  }
}
