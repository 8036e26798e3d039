import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import { startEmbeddedPostgres } from '../../shared/local/embedded-postgres.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    /** A superuser URL of the server the integration tests create their databases on. */
    adminDatabaseUrl: string;
  }
}

/** DATABASE_URL's server when set (CI), else a throwaway embedded PostgreSQL 17 for this run. */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const configured = process.env['DATABASE_URL'];
  if (configured) {
    project.provide('adminDatabaseUrl', configured);
    return async () => undefined;
  }
  const dataDir = await mkdtemp(join(tmpdir(), 'audit-test-pg-'));
  const server = await startEmbeddedPostgres({ dataDir });
  project.provide('adminDatabaseUrl', server.url);
  return async () => {
    await server.stop();
    await rm(dataDir, { recursive: true, force: true });
  };
}
