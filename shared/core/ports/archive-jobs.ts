import type { ArchivedRow } from '../archive/archived-event.ts';

/** A query over the archive's table in the SQL both engines share; `?` marks each of `params`, in order. */
export interface ArchiveScan {
  sql: string;
  params: string[];
}

export type ArchiveJobState = { state: 'running' } | { state: 'succeeded' } | { state: 'failed'; reason: string };

/**
 * Archive queries run as jobs, for reads longer than one request: Athena on AWS (started, polled, results paged by
 * token), DuckDB over the local archive (which reads on demand: its jobs are done at once).
 */
export interface ArchiveJobs {
  /** Starts the scan; resolves to the job's id. */
  start(scan: ArchiveScan): Promise<string>;
  status(job: string): Promise<ArchiveJobState>;
  /**
   * Up to `max` rows of a finished job from `token` (undefined: the first), in the scan's order; `next` is the token of
   * the rows after them, undefined at the end. `scan` is the job's own (the local engine runs it then).
   */
  read(job: string, scan: ArchiveScan, token: string | undefined, max: number): Promise<ArchiveRows>;
}

export interface ArchiveRows {
  rows: ArchivedRow[];
  next?: string;
}
