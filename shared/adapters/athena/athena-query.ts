import {
  type AthenaClient,
  GetQueryExecutionCommand,
  GetQueryResultsCommand,
  StartQueryExecutionCommand,
} from '@aws-sdk/client-athena';
import type { ArchiveQueryEngine, ArchiveQueryResult } from '../../core/ports/archive-query.ts';

/** Where queries run: the workgroup (and its bytes-scanned cutoff) and the Glue database holding the archive table. */
export interface AthenaTarget {
  workGroup: string;
  database: string;
}

export interface AthenaQueryOptions extends AthenaTarget {
  /** First pause between status polls; doubled up to maxPollMs. */
  pollMs?: number;
  maxPollMs?: number;
  /** Give up (and say so) after this long. */
  timeoutMs?: number;
  sleep?: (ms: number) => Promise<void>;
}

const delay = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** SQL over the archive through Athena: start, poll with backoff until it ends, then page through the results. */
export class AthenaArchiveQuery implements ArchiveQueryEngine {
  constructor(
    private readonly client: AthenaClient,
    private readonly options: AthenaQueryOptions,
  ) {}

  async run(sql: string, params: readonly string[] = []): Promise<ArchiveQueryResult> {
    const id = await startAthenaQuery(this.client, this.options, sql, params);
    await this.waitUntilSucceeded(id);
    return this.readResults(id);
  }

  async close(): Promise<void> {}

  private async waitUntilSucceeded(id: string): Promise<void> {
    const { pollMs = 250, maxPollMs = 5000, timeoutMs = 10 * 60_000, sleep = delay } = this.options;
    const deadline = Date.now() + timeoutMs;
    for (let pause = pollMs; ; pause = Math.min(pause * 2, maxPollMs)) {
      const { state, reason } = await athenaQueryState(this.client, id);
      if (state === 'SUCCEEDED') return;
      if (state === 'FAILED' || state === 'CANCELLED')
        throw new Error(`Athena query ${id} ${state}${reason ? `: ${reason}` : ''}`);
      if (Date.now() + pause > deadline) throw new Error(`Athena query ${id} still ${state} after ${timeoutMs} ms`);
      await sleep(pause);
    }
  }

  private async readResults(id: string): Promise<ArchiveQueryResult> {
    const first = await athenaResultPage(this.client, id, undefined, 1000);
    const result: ArchiveQueryResult = { columns: first.columns, rows: first.rows };
    for (let token = first.next; token; ) {
      const page = await athenaResultPage(this.client, id, token, 1000);
      result.rows.push(...page.rows);
      token = page.next;
    }
    return result;
  }
}

/** Starts a query execution (what AthenaArchiveQuery waits for, and AthenaArchiveJobs hands back as a job). */
export async function startAthenaQuery(
  client: AthenaClient,
  target: AthenaTarget,
  sql: string,
  params: readonly string[],
): Promise<string> {
  const { QueryExecutionId: id } = await client.send(
    new StartQueryExecutionCommand({
      QueryString: sql,
      WorkGroup: target.workGroup,
      QueryExecutionContext: { Database: target.database },
      // Athena splices each value into the query as SQL text, so strings go as quoted literals.
      ...(params.length > 0 && { ExecutionParameters: params.map(athenaLiteral) }),
    }),
  );
  if (!id) throw new Error('Athena returned no query execution id');
  return id;
}

/** A query execution's state (QUEUED, RUNNING, SUCCEEDED, FAILED, CANCELLED) and, when it ended badly, why. */
export async function athenaQueryState(
  client: AthenaClient,
  id: string,
): Promise<{ state: string | undefined; reason: string | undefined }> {
  const { QueryExecution } = await client.send(new GetQueryExecutionCommand({ QueryExecutionId: id }));
  const status = QueryExecution?.Status;
  return { state: status?.State, reason: status?.StateChangeReason ?? status?.AthenaError?.ErrorMessage };
}

/** One page of a succeeded query's results as text; `token` undefined reads the first. */
export async function athenaResultPage(
  client: AthenaClient,
  id: string,
  token: string | undefined,
  max: number,
): Promise<ArchiveQueryResult & { next?: string }> {
  const page = await client.send(
    new GetQueryResultsCommand({ QueryExecutionId: id, NextToken: token, MaxResults: max }),
  );
  const columns = (page.ResultSet?.ResultSetMetadata?.ColumnInfo ?? []).map((c) => c.Name ?? '');
  const rows = (page.ResultSet?.Rows ?? []).map((row) => (row.Data ?? []).map((d) => d.VarCharValue ?? null));
  // A SELECT's first result page starts with its header row.
  if (token === undefined && rows.length > 0 && JSON.stringify(rows[0]) === JSON.stringify(columns)) rows.shift();
  return { columns, rows, ...(page.NextToken && { next: page.NextToken }) };
}

/** A value as the SQL literal Athena's ExecutionParameters expect. */
export function athenaLiteral(value: string): string {
  return `'${value.replaceAll("'", "''")}'`;
}
