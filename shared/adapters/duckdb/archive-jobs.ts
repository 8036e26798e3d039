import { randomUUID } from 'node:crypto';
import { rowsByName } from '../../core/archive/archived-event.ts';
import type { ArchiveJobState, ArchiveJobs, ArchiveRows, ArchiveScan } from '../../core/ports/archive-jobs.ts';
import type { ArchiveQueryEngine } from '../../core/ports/archive-query.ts';

/**
 * The archive's jobs over the local archive: DuckDB reads Parquet fast enough to answer within a request, so a job is
 * done as soon as it starts and each read runs the job's scan for the rows asked (the token is the offset).
 */
export class LocalArchiveJobs implements ArchiveJobs {
  /** `open`: an engine for one read (core/ports/archive-query.ts), closed after it. */
  constructor(private readonly open: () => Promise<ArchiveQueryEngine>) {}

  async start(_scan: ArchiveScan): Promise<string> {
    return `local-${randomUUID()}`;
  }

  async status(_job: string): Promise<ArchiveJobState> {
    return { state: 'succeeded' };
  }

  async read(_job: string, scan: ArchiveScan, token: string | undefined, max: number): Promise<ArchiveRows> {
    const offset = token === undefined ? 0 : Number(token);
    if (!Number.isSafeInteger(offset) || offset < 0) throw new RangeError(`not a local archive token: ${token}`);
    if (!Number.isSafeInteger(max) || max < 1) throw new RangeError('max must be a positive integer');
    const engine = await this.open();
    try {
      const result = await engine.run(`${scan.sql} LIMIT ${max} OFFSET ${offset}`, scan.params);
      const rows = rowsByName(result);
      return { rows, ...(rows.length === max && { next: String(offset + max) }) };
    } finally {
      await engine.close();
    }
  }
}
