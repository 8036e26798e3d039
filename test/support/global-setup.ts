import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import { startEmbeddedPostgres } from '../../shared/apps/local/embedded-postgres.ts';
import type { LoginPasswords } from '../../shared/core/contracts/database-users.ts';
import { provisionManagedOwner } from './managed-owner.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    /**
     * The server the integration tests create their databases on, as a non-superuser owner made the way Aurora/RDS
     * make their master user (NOSUPERUSER CREATEROLE CREATEDB): what the deployed system has.
     */
    ownerServerUrl: string;
    /** The passwords of the login users audit_writer and audit_reader, set for this run. */
    loginPasswords: LoginPasswords;
    /**
     * The same server as a superuser: only the tampering suite connects with it (test/support/superuser.ts), playing
     * the attacker who can bypass every grant and trigger. Never the application, never migrations.
     */
    adminServerUrl: string;
  }
}

/** DATABASE_URL's server when set (a superuser URL, as CI has), else a throwaway embedded PostgreSQL 17. */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const configured = process.env['DATABASE_URL'];
  let stopServer = async () => undefined;
  let adminUrl = configured;
  if (!adminUrl) {
    const dataDir = await mkdtemp(join(tmpdir(), 'audit-test-pg-'));
    const server = await startEmbeddedPostgres({ dataDir });
    adminUrl = server.url;
    stopServer = async () => {
      await server.stop();
      await rm(dataDir, { recursive: true, force: true });
    };
  }
  try {
    const { ownerUrl, passwords } = await provisionManagedOwner(adminUrl);
    project.provide('ownerServerUrl', ownerUrl);
    project.provide('adminServerUrl', adminUrl);
    project.provide('loginPasswords', passwords);
  } catch (error) {
    await stopServer();
    throw error;
  }
  return stopServer;
}
