// In bench/, not shared/ (no product code uses it); the tests import it from here so `npm run bench` never needs test/.
import pg from 'pg';
import { loginUrl } from '../shared/adapters/postgres/login-users.ts';
import { migrate } from '../shared/adapters/postgres/migrate.ts';
import { createPool } from '../shared/adapters/postgres/pool.ts';
import { LOGIN_USERS, type LoginPasswords } from '../shared/core/contracts/database-users.ts';

export interface ScratchDatabase {
  name: string;
  /** Connects with the server URL's credentials: the database's owner, who migrates and maintains. */
  url: string;
  /** The owner's pool. */
  pool: pg.Pool;
  /** Log in as the writer's, the reader's and the sealer's own users (migrations 006, 010), with the passwords given. */
  writerUrl: string;
  readerUrl: string;
  sealerUrl: string;
  /** audit_forwarder (migration 014). */
  forwarderUrl: string;
  drop(): Promise<void>;
}

export interface ScratchOptions {
  /** Whether to apply the migrations (default true). */
  migrated?: boolean;
  applicationName?: string;
  /** The login users' passwords, already set on the server (setLoginPasswords). */
  passwords: LoginPasswords;
}

/**
 * A throwaway database on a server (tests, benchmarks): created by and owned by the server URL's user, migrated
 * unless asked not to be, dropped after.
 */
export async function createScratchDatabase(
  serverUrl: string,
  name: string,
  options: ScratchOptions,
): Promise<ScratchDatabase> {
  await withClient(serverUrl, (admin) => admin.query(`CREATE DATABASE ${pg.escapeIdentifier(name)}`));
  const url = databaseUrl(serverUrl, name);
  const pool = createPool({ connectionString: url, max: 4, application_name: options.applicationName ?? name });
  if (options.migrated ?? true) await migrate(pool);
  return {
    name,
    url,
    pool,
    writerUrl: loginUrl(url, LOGIN_USERS.writer, options.passwords[LOGIN_USERS.writer]),
    readerUrl: loginUrl(url, LOGIN_USERS.reader, options.passwords[LOGIN_USERS.reader]),
    sealerUrl: loginUrl(url, LOGIN_USERS.sealer, options.passwords[LOGIN_USERS.sealer]),
    forwarderUrl: loginUrl(url, LOGIN_USERS.forwarder, options.passwords[LOGIN_USERS.forwarder]),
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

export async function withClient<T>(url: string, work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}
