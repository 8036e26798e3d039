import {
  type AthenaClient,
  GetQueryExecutionCommand,
  GetQueryResultsCommand,
  StartQueryExecutionCommand,
} from '@aws-sdk/client-athena';
import type { ArchiveQueryEngine, ArchiveQueryResult } from '../../core/ports/archive-query.ts';

export interface AthenaQueryOptions {
  workGroup: string;
  /** The Glue database holding the archive table. */
  database: string;
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
    const { QueryExecutionId: id } = await this.client.send(
      new StartQueryExecutionCommand({
        QueryString: sql,
        WorkGroup: this.options.workGroup,
        QueryExecutionContext: { Database: this.options.database },
        // Athena splices each value into the query as SQL text, so strings go as quoted literals.
        ...(params.length > 0 && { ExecutionParameters: params.map(athenaLiteral) }),
      }),
    );
    if (!id) throw new Error('Athena returned no query execution id');
    await this.waitUntilSucceeded(id);
    return this.readResults(id);
  }

  async close(): Promise<void> {}

  private async waitUntilSucceeded(id: string): Promise<void> {
    const { pollMs = 250, maxPollMs = 5000, timeoutMs = 10 * 60_000, sleep = delay } = this.options;
    const deadline = Date.now() + timeoutMs;
    for (let pause = pollMs; ; pause = Math.min(pause * 2, maxPollMs)) {
      const { QueryExecution } = await this.client.send(new GetQueryExecutionCommand({ QueryExecutionId: id }));
      const state = QueryExecution?.Status?.State;
      if (state === 'SUCCEEDED') return;
      if (state === 'FAILED' || state === 'CANCELLED') {
        const reason = QueryExecution?.Status?.StateChangeReason ?? QueryExecution?.Status?.AthenaError?.ErrorMessage;
        throw new Error(`Athena query ${id} ${state}${reason ? `: ${reason}` : ''}`);
      }
      if (Date.now() + pause > deadline) throw new Error(`Athena query ${id} still ${state} after ${timeoutMs} ms`);
      await sleep(pause);
    }
  }

  private async readResults(id: string): Promise<ArchiveQueryResult> {
    const result: ArchiveQueryResult = { columns: [], rows: [] };
    let token: string | undefined;
    let first = true;
    do {
      const page = await this.client.send(
        new GetQueryResultsCommand({ QueryExecutionId: id, NextToken: token, MaxResults: 1000 }),
      );
      if (first) result.columns = (page.ResultSet?.ResultSetMetadata?.ColumnInfo ?? []).map((c) => c.Name ?? '');
      const rows = (page.ResultSet?.Rows ?? []).map((row) => (row.Data ?? []).map((d) => d.VarCharValue ?? null));
      // A SELECT's first row is its header.
      if (first && rows.length > 0 && JSON.stringify(rows[0]) === JSON.stringify(result.columns)) rows.shift();
      result.rows.push(...rows);
      first = false;
      token = page.NextToken;
    } while (token);
    return result;
  }
}

/** A value as the SQL literal Athena's ExecutionParameters expect. */
export function athenaLiteral(value: string): string {
  return `'${value.replaceAll("'", "''")}'`;
}
