import { randomUUID } from 'node:crypto';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { AthenaClient } from '@aws-sdk/client-athena';
import { AthenaArchiveJobs } from '../../adapters/athena/athena-jobs.ts';
import { AthenaArchiveQuery } from '../../adapters/athena/athena-query.ts';
import { LocalArchiveJobs } from '../../adapters/duckdb/archive-jobs.ts';
import { openLocalArchiveQuery } from '../../adapters/duckdb/local-query.ts';
import { FileObjectStore } from '../../adapters/files/file-store.ts';
import type { ArchiveJobs } from '../../core/ports/archive-jobs.ts';
import type { ArchiveQueryEngine } from '../../core/ports/archive-query.ts';
import { objectStoreFromUrl } from './store-from-url.ts';

export interface ArchiveQueryConfig {
  ARCHIVE_URL: string;
  ARCHIVE_WORK_DIR: string;
  ATHENA_WORKGROUP?: string | undefined;
  GLUE_DATABASE?: string | undefined;
}

/** The Athena client and where its queries run, for an s3:// archive; fails naming what is not set. */
function athenaOf(config: ArchiveQueryConfig): [AthenaClient, { workGroup: string; database: string }] {
  if (!config.ATHENA_WORKGROUP || !config.GLUE_DATABASE)
    throw new Error(`ATHENA_WORKGROUP and GLUE_DATABASE must be set to query ${config.ARCHIVE_URL}`);
  return [new AthenaClient({}), { workGroup: config.ATHENA_WORKGROUP, database: config.GLUE_DATABASE }];
}

/** Athena for an s3:// archive (ATHENA_WORKGROUP and GLUE_DATABASE), DuckDB over a local one. */
export async function archiveQueryEngine(
  config: ArchiveQueryConfig,
  workDirName = `query-${process.pid}`,
): Promise<ArchiveQueryEngine> {
  if (config.ARCHIVE_URL.startsWith('s3://')) return new AthenaArchiveQuery(...athenaOf(config));
  const store = objectStoreFromUrl(config.ARCHIVE_URL);
  if (!(store instanceof FileObjectStore)) throw new Error(`cannot query ${config.ARCHIVE_URL} locally`);
  return openLocalArchiveQuery(store.root, join(config.ARCHIVE_WORK_DIR, workDirName));
}

/**
 * An engine for one read among others at once (a server's requests): DuckDB's scratch folder is its own, and goes
 * with it when it closes.
 */
export async function oneReadArchiveQueryEngine(config: ArchiveQueryConfig): Promise<ArchiveQueryEngine> {
  const name = `read-${process.pid}-${randomUUID()}`;
  const engine = await archiveQueryEngine(config, name);
  return {
    run: (sql, params) => engine.run(sql, params),
    async close() {
      await engine.close();
      await rm(join(config.ARCHIVE_WORK_DIR, name), { recursive: true, force: true });
    },
  };
}

/** The archive's jobs: Athena query executions for an s3:// archive, DuckDB reads (one engine per read) for a local one. */
export function archiveJobs(config: ArchiveQueryConfig): ArchiveJobs {
  if (config.ARCHIVE_URL.startsWith('s3://')) return new AthenaArchiveJobs(...athenaOf(config));
  return new LocalArchiveJobs(() => oneReadArchiveQueryEngine(config));
}
