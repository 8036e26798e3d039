import type { AthenaClient } from '@aws-sdk/client-athena';
import { rowsByName } from '../../core/archive/archived-event.ts';
import type { ArchiveJobState, ArchiveJobs, ArchiveRows, ArchiveScan } from '../../core/ports/archive-jobs.ts';
import { type AthenaTarget, athenaQueryState, athenaResultPage, startAthenaQuery } from './athena-query.ts';

/**
 * The archive's jobs on AWS: an Athena query execution, started by one request and polled and paged by later ones,
 * so no request waits for Athena. The workgroup enforces the bytes-scanned cutoff: a query that reaches it fails,
 * and its reason is the job's.
 */
export class AthenaArchiveJobs implements ArchiveJobs {
  constructor(
    private readonly client: AthenaClient,
    private readonly options: AthenaTarget,
  ) {}

  start(scan: ArchiveScan): Promise<string> {
    return startAthenaQuery(this.client, this.options, scan.sql, scan.params);
  }

  async status(job: string): Promise<ArchiveJobState> {
    const { state, reason } = await athenaQueryState(this.client, job);
    if (state === 'SUCCEEDED') return { state: 'succeeded' };
    if (state === 'FAILED' || state === 'CANCELLED')
      return { state: 'failed', reason: `the archive query ${state.toLowerCase()}: ${reason ?? state}` };
    return { state: 'running' };
  }

  async read(job: string, _scan: ArchiveScan, token: string | undefined, max: number): Promise<ArchiveRows> {
    const page = await athenaResultPage(this.client, job, token, Math.min(max, 1000));
    return { rows: rowsByName(page), ...(page.next && { next: page.next }) };
  }
}
