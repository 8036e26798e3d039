import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateLoginPasswords, setLoginPasswords } from '../shared/adapters/postgres/login-users.ts';
import { startEmbeddedPostgres } from '../shared/apps/local/embedded-postgres.ts';
import type { LoginPasswords } from '../shared/core/contracts/database-users.ts';
import { createScratchDatabase, type ScratchDatabase } from './scratch-database.ts';

/** The PostgreSQL server the bench runs on: DATABASE_URL's, or an embedded PostgreSQL 17 it starts and stops. */
export interface BenchServer {
  /** A superuser URL: databases are created and dropped through it. */
  adminUrl: string;
  /** The login users' passwords for this run (set on the server when a database is created). */
  passwords: LoginPasswords;
  embedded: boolean;
  /** A fresh database, migrated with the product's migrations: every figure is measured on the same table definition. */
  createDatabase(label: string): Promise<BenchDatabase>;
  stop(): Promise<void>;
}

/** A scratch database (owner pool for loading and setup; measurements log in as the product's users). */
export type BenchDatabase = ScratchDatabase;

export async function startBenchServer(env: NodeJS.ProcessEnv = process.env): Promise<BenchServer> {
  const configured = env['DATABASE_URL'];
  if (configured) return benchServer(configured, false, async () => undefined);
  const dataDir = await mkdtemp(join(tmpdir(), 'trail-bench-pg-'));
  const server = await startEmbeddedPostgres({ dataDir });
  return benchServer(server.url, true, async () => {
    await server.stop();
    await rm(dataDir, { recursive: true, force: true });
  });
}

function benchServer(adminUrl: string, embedded: boolean, stop: () => Promise<void>): BenchServer {
  const created = new Set<BenchDatabase>();
  const passwords = generateLoginPasswords();
  return {
    adminUrl,
    passwords,
    embedded,
    async createDatabase(label) {
      const scratch = await createScratchDatabase(adminUrl, `bench_${label}_${randomBytes(4).toString('hex')}`, {
        applicationName: `bench:${label}`,
        passwords,
      });
      // The migrations made the login users; the same passwords every time, so earlier databases keep working.
      await setLoginPasswords(scratch.pool, passwords);
      const database: BenchDatabase = {
        ...scratch,
        async drop() {
          created.delete(database);
          await scratch.drop();
        },
      };
      created.add(database);
      return database;
    },
    async stop() {
      // Databases a failed part left behind: a bench never leaves data on someone's server.
      for (const database of [...created]) await database.drop().catch(() => undefined);
      await stop();
    },
  };
}
