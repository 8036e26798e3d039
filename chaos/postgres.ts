import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import pg from 'pg';
import { withClient } from '../bench/scratch-database.ts';
import { type RunningPostgres, startEmbeddedPostgres } from '../shared/apps/local/embedded-postgres.ts';

const OWNER = 'chaos_owner';
const DATABASE = 'chaos';

/**
 * The run's own PostgreSQL (embedded, in the run's folder, on a port of its own), which it may stop and start again:
 * never the machine's server. The stack logs in as a NOSUPERUSER CREATEROLE CREATEDB owner, as on Aurora.
 */
export interface ChaosPostgres {
  /** The owner's URL of the run's database: the stack's DATABASE_URL. */
  ownerUrl: string;
  running(): boolean;
  stop(): Promise<void>;
  start(): Promise<void>;
  close(): Promise<void>;
}

export async function startChaosPostgres(folder: string): Promise<ChaosPostgres> {
  const dataDir = join(folder, 'pg');
  let server: RunningPostgres | undefined = await startEmbeddedPostgres({ dataDir });
  const port = Number(new URL(server.url).port);
  const password = randomBytes(18).toString('base64url');
  await withClient(server.url, async (admin) => {
    await admin.query(
      `CREATE ROLE ${OWNER} LOGIN NOSUPERUSER CREATEROLE CREATEDB NOREPLICATION NOBYPASSRLS PASSWORD ${pg.escapeLiteral(password)}`,
    );
  });
  const serverUrl = new URL(server.url);
  serverUrl.username = OWNER;
  serverUrl.password = password;
  // As on RDS, the owner creates its database itself (it may connect to `postgres` for that, never migrate it).
  await withClient(serverUrl.toString(), (owner) => owner.query(`CREATE DATABASE ${DATABASE}`));
  serverUrl.pathname = `/${DATABASE}`;
  let busy: Promise<void> = Promise.resolve();
  const serial = (work: () => Promise<void>) => {
    busy = busy.then(work, work);
    return busy;
  };
  return {
    ownerUrl: serverUrl.toString(),
    running: () => server !== undefined,
    stop: () =>
      serial(async () => {
        const stopping = server;
        server = undefined;
        await stopping?.stop();
      }),
    start: () =>
      serial(async () => {
        // The same folder and port: the stack's DATABASE_URL stays valid across the stop.
        server ??= await startEmbeddedPostgres({ dataDir, port });
      }),
    close: () =>
      serial(async () => {
        await server?.stop();
        server = undefined;
      }),
  };
}
