import pg from 'pg';
import { migrate } from './migrate.ts';
import { createPool } from './pool.ts';

export interface ScratchDatabase {
  name: string;
  /** Connects with the server URL's credentials (the schema owner). */
  url: string;
  pool: pg.Pool;
  drop(): Promise<void>;
}

/** A throwaway database on a server (tests, benchmarks): created, migrated unless asked not to be, dropped after. */
export async function createScratchDatabase(
  serverUrl: string,
  name: string,
  options: { migrated?: boolean; applicationName?: string } = {},
): Promise<ScratchDatabase> {
  await withClient(serverUrl, (admin) => admin.query(`CREATE DATABASE ${pg.escapeIdentifier(name)}`));
  const url = databaseUrl(serverUrl, name);
  const pool = createPool({ connectionString: url, max: 4, application_name: options.applicationName ?? name });
  if (options.migrated ?? true) await migrate(pool);
  return {
    name,
    url,
    pool,
    async drop() {
      await pool.end();
      // FORCE terminates any session still connected (a leftover client) before dropping.
      await withClient(serverUrl, (admin) =>
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

async function withClient<T>(url: string, work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}
