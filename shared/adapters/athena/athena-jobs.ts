import {
  type AthenaClient,
  GetQueryExecutionCommand,
  GetQueryResultsCommand,
  StartQueryExecutionCommand,
} from '@aws-sdk/client-athena';
import { rowsByName } from '../../core/archive/archived-event.ts';
import type { ArchiveJobState, ArchiveJobs, ArchiveRows, ArchiveScan } from '../../core/ports/archive-jobs.ts';
import { athenaLiteral } from './athena-query.ts';

/**
 * The archive's jobs on AWS: an Athena query execution, started by one request and polled and paged by later ones,
 * so no request waits for Athena. The workgroup enforces the bytes-scanned cutoff: a query that reaches it fails,
 * and its reason is the job's.
 */
export class AthenaArchiveJobs implements ArchiveJobs {
  constructor(
    private readonly client: AthenaClient,
    private readonly options: { workGroup: string; database: string },
  ) {}

  async start(scan: ArchiveScan): Promise<string> {
    const { QueryExecutionId: id } = await this.client.send(
      new StartQueryExecutionCommand({
        QueryString: scan.sql,
        WorkGroup: this.options.workGroup,
        QueryExecutionContext: { Database: this.options.database },
        ...(scan.params.length > 0 && { ExecutionParameters: scan.params.map(athenaLiteral) }),
      }),
    );
    if (!id) throw new Error('Athena returned no query execution id');
    return id;
  }

  async status(job: string): Promise<ArchiveJobState> {
    const { QueryExecution } = await this.client.send(new GetQueryExecutionCommand({ QueryExecutionId: job }));
    const status = QueryExecution?.Status;
    if (status?.State === 'SUCCEEDED') return { state: 'succeeded' };
    if (status?.State === 'FAILED' || status?.State === 'CANCELLED') {
      const reason = status.StateChangeReason ?? status.AthenaError?.ErrorMessage ?? status.State;
      return { state: 'failed', reason: `the archive query ${status.State.toLowerCase()}: ${reason}` };
    }
    return { state: 'running' };
  }

  async read(job: string, _scan: ArchiveScan, token: string | undefined, max: number): Promise<ArchiveRows> {
    const page = await this.client.send(
      new GetQueryResultsCommand({ QueryExecutionId: job, MaxResults: Math.min(max, 1000), NextToken: token }),
    );
    const columns = (page.ResultSet?.ResultSetMetadata?.ColumnInfo ?? []).map((c) => c.Name ?? '');
    const rows = (page.ResultSet?.Rows ?? []).map((row) => (row.Data ?? []).map((d) => d.VarCharValue ?? null));
    // A SELECT's first result page starts with its header row.
    if (token === undefined && rows.length > 0 && JSON.stringify(rows[0]) === JSON.stringify(columns)) rows.shift();
    return { rows: rowsByName({ columns, rows }), ...(page.NextToken && { next: page.NextToken }) };
  }
}
